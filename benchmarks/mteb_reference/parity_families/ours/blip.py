"""blip: the tiny checkpoint through pytest-mieb's transformers two-tower adapter (`hf_dual`),
loaded from its directory as a user's local path would be."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.ours import _ours_calls


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from pytest_mieb.models import load_encoder

    return _ours_calls.clip_like(load_encoder(str(checkpoint), device="cpu"))
