"""siglip_multilingual: the same adapter and recipe as `siglip`, on the multilingual checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.ours import siglip


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    return siglip.embed(checkpoint)
