"""e5v: the tiny LLaVA-NeXT checkpoint through pytest-mieb's E5-V adapter (`e5-v:DIR`), every
probe kind under every probe context (`_ours_calls.encode_all`), as the mteb side's
`_probe_runs.encode_all` feeds mteb's `E5VModel`. On CPU the published recipe's fp16 weights are
fp32 (the adapter warns), as the mteb side loads them (transformers 4.44 without a dtype)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from parity_families.ours import _ours_calls


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from pytest_mieb.models import load_encoder

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        encoder = load_encoder(f"e5-v:{checkpoint}", device="cpu")
    return _ours_calls.encode_all(encoder)
