"""SigLIP through mteb 2.26's `siglip_models.SiglipModelWrapper` (transformers `SiglipModel`).

The wrapper runs as written, with one change: its processor's image processor is the PIL class
(`SiglipImageProcessorPil`) instead of the torchvision one transformers 5 picks, as the published
scores (mteb 1.14, transformers 4) had it. Texts: `padding="max_length"`, truncation at the
tokenizer's 64; images converted to RGB by the wrapper. The recipe ignores task and side.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from mteb.models.model_implementations.siglip_models import SiglipModelWrapper

from parity_families.mteb_side import _mteb_calls


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    model = SiglipModelWrapper(str(checkpoint), revision=None)
    _mteb_calls.use_pil_image_processor(model.processor, checkpoint)
    return _mteb_calls.clip_like(model)
