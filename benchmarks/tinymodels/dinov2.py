"""Tiny DINOv2 (transformers `Dinov2Model`), laid out as facebook/dinov2-small.

Files: `config.json` + `model.safetensors` (random init at `initializer_range` 0.2 so that CLS
outputs differ visibly between images; width 32, 2 layers, patch 8) and the repos'
`preprocessor_config.json` (`BitImageProcessor`: convert to RGB, resize the shortest edge,
bicubic, centre crop, ImageNet mean/std) at 40 -> 32 px instead of 256 -> 224.
"""

from __future__ import annotations

import json
from pathlib import Path

from tinymodels._write_once import seeded, write_once

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def build(root: Path, seed: int = 0) -> Path:
    def write(out: Path) -> None:
        from transformers import Dinov2Config, Dinov2Model

        preprocessor = {
            "crop_size": {"height": 32, "width": 32}, "do_center_crop": True,
            "do_convert_rgb": True, "do_normalize": True, "do_rescale": True, "do_resize": True,
            "image_mean": IMAGENET_MEAN, "image_processor_type": "BitImageProcessor",
            "image_std": IMAGENET_STD, "resample": 3, "rescale_factor": 1 / 255,
            "size": {"shortest_edge": 40},
        }  # fmt: skip
        (out / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2), "utf-8")
        config = Dinov2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                              mlp_ratio=2, patch_size=8, image_size=32,
                              initializer_range=0.2)  # fmt: skip
        seeded(seed)
        Dinov2Model(config).eval().save_pretrained(out)

    return write_once(root, "dinov2", write)
