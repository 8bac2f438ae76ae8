"""openai CLIP through mteb 2.26's `clip_models.CLIPModel` (transformers `CLIPModel`).

The wrapper runs as written, with one change: its processor's image processor is the PIL class
(`CLIPImageProcessorPil`) instead of the torchvision one transformers 5 picks, as the published
scores (mteb 1.14, transformers 4) had it. The recipe ignores task and side.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from mteb.models.model_implementations.clip_models import CLIPModel

from parity_families.mteb_side import _mteb_calls


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    model = CLIPModel(str(checkpoint), revision=None)
    _mteb_calls.use_pil_image_processor(model.processor, checkpoint)
    return _mteb_calls.clip_like(model)
