"""Tiny MoCo v3 ViT in timm's layout, as the nyu-visionx/moco-v3-vit-b repo is read by timm:
`model.safetensors` holding a timm `vit_base_patch16_224` state dict (cls_token, pos_embed,
patch_embed.proj, blocks.N.*, norm; no classifier head) and a timm hub `config.json`.

The architecture keeps the shape of `vit_base_patch16_224` that mteb's loader asks timm for
(224 px, patch 16, CLS token, class-token pooling) but is narrow and shallow: width 32, 2 blocks,
2 heads; `config.json` records them in `model_args`. Every tensor is drawn here in key order
(weights at std 1/sqrt(fan_in), so that CLS outputs differ visibly between images), so the
bytes do not depend on the installed timm version. The `pretrained_cfg` in
`config.json` holds ImageNet mean/std and crop 0.875 (MoCo's own preprocessing) on purpose:
mteb's loader never reads it (its transform comes from timm's default tag for the architecture,
mean = std = 0.5, crop 0.9), so a test can tell which of the two an adapter uses. The real
repo's `config.json` could not be read offline.
"""

from __future__ import annotations

import json
from pathlib import Path

from tinymodels._write_once import seeded, write_once

ARCHITECTURE = "vit_base_patch16_224"
MODEL_ARGS = {"embed_dim": 32, "depth": 2, "num_heads": 2}


def _draw(name: str, like):
    """A fresh value for one state-dict entry, drawn in key order (independent of how the
    installed timm version initialises): weights at std 1/sqrt(fan_in), norms near 1."""
    import torch

    if name.endswith("bias"):
        return torch.randn(like.shape) * 0.02
    if "norm" in name:
        return 1.0 + torch.randn(like.shape) * 0.1
    if name in ("cls_token", "pos_embed"):
        return torch.randn(like.shape) * (1.0 if name == "cls_token" else 0.02)
    fan_in = like[0].numel() if like.dim() > 1 else like.numel()
    return torch.randn(like.shape) * fan_in**-0.5


def build(root: Path, seed: int = 0) -> Path:
    def write(out: Path) -> None:
        import timm
        from safetensors.torch import save_file

        model = timm.create_model(ARCHITECTURE, pretrained=False, num_classes=0, **MODEL_ARGS)
        seeded(seed)
        state = {k: _draw(k, v) for k, v in sorted(model.state_dict().items())}
        model.load_state_dict(state)  # the layout must stay loadable
        save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})
        config = {
            "architecture": ARCHITECTURE, "num_classes": 0, "num_features": MODEL_ARGS["embed_dim"],
            "global_pool": "token", "model_args": MODEL_ARGS,
            "pretrained_cfg": {
                "tag": "mocov3", "custom_load": False, "input_size": [3, 224, 224],
                "fixed_input_size": True, "interpolation": "bicubic", "crop_pct": 0.875,
                "crop_mode": "center", "mean": [0.485, 0.456, 0.406],
                "std": [0.229, 0.224, 0.225], "num_classes": 0, "pool_size": None,
                "first_conv": "patch_embed.proj", "classifier": "head",
            },
        }  # fmt: skip
        (out / "config.json").write_text(json.dumps(config, indent=2), "utf-8")

    return write_once(root, "moco", write)
