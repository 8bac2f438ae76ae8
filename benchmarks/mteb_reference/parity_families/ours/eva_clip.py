"""eva_clip: the published-id route. The tiny checkpoint's EVA-named `.pt` is served offline as
`QuanSun/EVA-CLIP/EVA02_CLIP_B_psz16_s8B.pt` (the file the published `QuanSun/EVA02-CLIP-B-16`
loads) and open_clip's `EVA02-B-16` architecture is made the tiny one for the duration; then
`QuanSun/EVA02-CLIP-B-16` is loaded by that id through pytest-mieb's front door (its eva_clip
adapter: hf_hub_download at the served commit, EVA keys converted with timm's
`eva.checkpoint_filter_fn`, strict load into open_clip) and embedded through the embedder. CPU:
fp16-mixed is plain fp32, as mteb's autocast is without CUDA."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np

from parity_families.mteb_side._offline_hub import MAIN, hub_repo
from parity_families.ours import _ours_calls, _ours_loads

PUBLISHED_ID = "QuanSun/EVA02-CLIP-B-16"
WEIGHTS = "EVA02_CLIP_B_psz16_s8B.pt"


def embed(checkpoint: Path, published_id: str = PUBLISHED_ID, weights: str = WEIGHTS,
          arch: str = "EVA02-B-16") -> dict[str, np.ndarray]:  # fmt: skip
    from tinymodels.eva_clip import register_open_clip_arch, restore_open_clip_arch

    previous = register_open_clip_arch(checkpoint, arch)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(Path(checkpoint) / "EVA02_CLIP_tiny.pt", Path(tmp) / weights)
            with hub_repo(Path(tmp), "QuanSun/EVA-CLIP"):
                encoder = _ours_loads.load(f"{published_id}@{MAIN}")
                out = _ours_calls.clip_like(encoder)
    finally:
        restore_open_clip_arch(arch, previous)
    return {"text": out["text"], "image": out["image"], "fused": out["fused"]}
