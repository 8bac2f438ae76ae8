"""EVA02-CLIP bigE (QuanSun/EVA02-CLIP-bigE-14, -bigE-14-plus), tiny: the `eva_clip` checkpoint
layout with bigE's vision feature set instead of B-16's — residual post-norm blocks
(`postnorm`), a plain GELU MLP at ratio 8.57, fused qkv with q/v biases, no rotary embeddings
(EVA's `eva-clip-4b-14-x`; timm's `eva02_enormous_patch14_clip_224` at tiny sizes). Timm and EVA
name this tower's weights alike, so no key is renamed. See `tinymodels.eva_clip`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinymodels._checkpoints import build_once
from tinymodels.eva_clip import EMBED, EVA_CONFIG, HEADS, IMAGE, LAYERS, PATCH, WIDTH, _write

MLP_RATIO = 8.571428571428571
BIGE_CONFIG: dict[str, Any] = {
    **EVA_CONFIG,
    "vision_cfg": {"image_size": IMAGE, "layers": LAYERS, "width": WIDTH,
                   "head_width": WIDTH // HEADS, "patch_size": PATCH, "mlp_ratio": MLP_RATIO,
                   "eva_model_name": "eva-clip-4b-14-x", "drop_path_rate": 0, "xattn": False,
                   "postnorm": True, "fusedLN": True},
}  # fmt: skip
BIGE_TIMM_ARGS: dict[str, Any] = dict(
    img_size=IMAGE, patch_size=PATCH, embed_dim=WIDTH, depth=LAYERS, num_heads=HEADS,
    mlp_ratio=MLP_RATIO, use_post_norm=True, global_pool="token", num_classes=EMBED,
)  # fmt: skip


def build(root: Path, seed: int = 0) -> Path:
    """Write the tiny bigE checkpoint under `root/eva_clip_bige` (reused when already there)."""
    return build_once(root, "eva_clip_bige", lambda out: _write(
        out, seed, BIGE_CONFIG, BIGE_TIMM_ARGS, [], "eva02_enormous_patch14_clip_224"))  # fmt: skip
