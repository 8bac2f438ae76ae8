"""BLIP (image-text retrieval checkpoints) through mteb 2.26's `blip_models.BLIPModel`.

The wrapper loads `BlipForImageTextRetrieval` and `BlipProcessor` and runs as written, with one
change: the processor's image processor is the PIL class (`BlipImageProcessorPil`) instead of the
torchvision one transformers 5 picks, as the published scores (mteb 1.14, transformers 4) had it.
Texts: `padding=True, truncation=True`; `text_encoder(input_ids, attention_mask)` (no image
cross-attention), CLS -> `text_proj` -> L2-normalised. Images: `vision_model` CLS ->
`vision_proj` -> L2-normalised. Fused = sum of the two normalised vectors. The recipe ignores
task and side.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from mteb.models.model_implementations.blip_models import BLIPModel

from parity_families.mteb_side import _mteb_calls


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    model = BLIPModel(str(checkpoint), revision=None)
    _mteb_calls.use_pil_image_processor(model.processor, checkpoint)
    return _mteb_calls.clip_like(model)
