"""lco: the tiny Qwen2.5-Omni thinker served offline as the hub repo
`LCO-Embedding/LCO-Embedding-Omni-3B` and loaded by that id (at the served commit), so that
pytest-mieb picks the LCO recipe as for the published ids; every probe kind under every probe
context (`_ours_direct`). On CPU the recipe's bf16 weights are fp32 (the loader warns), as
the mteb side casts them."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from parity_families.mteb_side._offline_hub import MAIN, hub_repo
from parity_families.ours import _ours_direct, _ours_loads

PUBLISHED_ID = "LCO-Embedding/LCO-Embedding-Omni-3B"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    with hub_repo(checkpoint, PUBLISHED_ID) as name, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        encoder = _ours_loads.load(f"{name}@{MAIN}", precision="bf16")
        return _ours_direct.encode_all(encoder)
