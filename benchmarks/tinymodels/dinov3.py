"""Tiny DINOv3 ViT (transformers `DINOv3ViTModel`), laid out as
facebook/dinov3-vits16-pretrain-lvd1689m.

Files: `config.json` + `model.safetensors` (random init at `initializer_range` 0.2; width 32,
2 layers, patch 8, 4 register tokens after CLS, RoPE) and a `preprocessor_config.json` naming
`DINOv3ViTImageProcessorFast` (the class the DINOv3 repos name; transformers 5 has only a
torchvision implementation): resize to a square, bilinear, no crop, ImageNet mean/std, at 32 px
instead of 224. The real repo's preprocessor file could not be read offline; its fields here are
the class defaults.
"""

from __future__ import annotations

import json
from pathlib import Path

from tinymodels._write_once import seeded, write_once
from tinymodels.dinov2 import IMAGENET_MEAN, IMAGENET_STD


def build(root: Path, seed: int = 0) -> Path:
    def write(out: Path) -> None:
        from transformers import DINOv3ViTConfig, DINOv3ViTModel

        preprocessor = {
            "do_normalize": True, "do_rescale": True, "do_resize": True,
            "image_mean": IMAGENET_MEAN, "image_processor_type": "DINOv3ViTImageProcessorFast",
            "image_std": IMAGENET_STD, "resample": 2, "rescale_factor": 1 / 255,
            "size": {"height": 32, "width": 32},
        }  # fmt: skip
        (out / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2), "utf-8")
        config = DINOv3ViTConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                 num_attention_heads=2, patch_size=8, image_size=32,
                                 num_register_tokens=4, initializer_range=0.2)  # fmt: skip
        seeded(seed)
        DINOv3ViTModel(config).eval().save_pretrained(out)

    return write_once(root, "dinov3", write)
