"""nomic-embed-vision's recipe through mteb 2.26's own `NomicVisionModel`, on stand-in towers.

The real towers are remote code from a Hub repo (`nomic-ai/nomic-bert-2048`) that cannot be
reached here, and on transformers 5 that code does not even load (`all_tied_weights_keys`,
family-nomic_vision.md). The tiny checkpoint's two directories carry stand-in remote code
instead (`tinymodels/_stand_in_code.py`: a CLIP vision tower and a BERT under `auto_map`), so
this checks the recipe mteb wraps around the towers — CLS + L2 for images, mean pooling +
affine-free layer_norm + L2 for texts with no prefix, fused = sum — not the towers themselves.
mteb's wrapper runs unmodified (vision and text given as the two directories, as its
`text_model_name` / `text_model_revision` loader arguments allow); its image processor is the
PIL class as in the published transformers-4 run, and images are converted to RGB first, as the
MIEB-era evaluators did.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from mteb.models.model_implementations.nomic_models_vision import NomicVisionModel

from parity_families.mteb_side import _mteb_calls

CHECKPOINT = "nomic_vision"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from transformers import AutoImageProcessor

    vision, text = Path(checkpoint) / "vision", Path(checkpoint) / "text"
    model = NomicVisionModel(str(vision), revision=None, text_model_name=str(text),
                             text_model_revision=None, device="cpu")  # fmt: skip
    model.processor = AutoImageProcessor.from_pretrained(vision, backend="pil")
    return _mteb_calls.clip_like(model, _mteb_calls.rgb_images())
