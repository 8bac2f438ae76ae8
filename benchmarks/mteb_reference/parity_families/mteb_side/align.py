"""ALIGN through mteb 2.26's `align_models.ALIGNModel` (transformers `AlignModel`).

mteb 2.26's wrapper cannot encode images as written: with transformers 5.24
`AlignModel.get_image_features` returns `BaseModelOutputWithPoolingAndNoAttention`, which its
`isinstance(..., BaseModelOutputWithPooling)` test misses, so it calls `.cpu()` on the output
object and fails; and it passes images to the processor without converting them to RGB, so an
RGBA / L / P image fails in the stem convolution. What is reproduced is the code path of the
published scores (mteb 1.14, transformers 4): images converted to RGB first (as the MIEB-era
evaluators did), image embedding = the vision tower's pooled output (what transformers 4's
`get_image_features` returned), the PIL image processor (`EfficientNetImageProcessorPil`, not
the torchvision class transformers 5 picks). The wrapper's own loops run, with
`get_image_features` shimmed to return `.pooler_output`. Texts: `padding=True, truncation=True`,
where `AlignProcessor`'s default `max_length=64` bounds the length; text embedding =
`text_projection(CLS)`. No normalisation; the recipe ignores task and side.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from mteb.models.model_implementations.align_models import ALIGNModel

from parity_families.mteb_side import _mteb_calls


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    model = ALIGNModel(str(checkpoint), revision=None)
    _mteb_calls.use_pil_image_processor(model.processor, checkpoint)
    image_features = model.model.get_image_features
    model.model.get_image_features = lambda **inputs: image_features(**inputs).pooler_output
    return _mteb_calls.clip_like(model, _mteb_calls.rgb_images())
