"""EVA02-CLIP bigE through mteb 2.26's `evaclip_loader`, as `eva_clip` (same module, same
caveats: needs `MIEB_EVA_CLIP_DIR`), on the tiny checkpoint with bigE's vision feature set
(post-norm blocks, GELU MLP, fused qkv, no rope; `tinymodels/eva_clip_bige.py`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.mteb_side import eva_clip

CHECKPOINT = "eva_clip_bige"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    return eva_clip.embed(checkpoint)
