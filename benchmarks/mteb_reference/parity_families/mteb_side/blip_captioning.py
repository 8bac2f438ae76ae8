"""BLIP captioning checkpoints (Salesforce/blip-image-captioning-base/-large) under mteb 2.26's
`blip_models.BLIPModel`: shows why their published scores cannot be reproduced.

mteb lists the captioning repos with the same loader as the ITM ones, so it loads a
`BlipForConditionalGeneration` checkpoint into `BlipForImageTextRetrieval`. Only the vision tower
is in the file; `text_encoder`, `vision_proj`, `text_proj` and `itm_head` are missing and are
initialised at random, unseeded, on every load (the `text_decoder` weights are dropped). Every
image and text embedding therefore passes through a fresh random projection. `embed` loads the
checkpoint twice through the wrapper, measures how far the two loads disagree, and raises with
that number: there is no reference to compare with, and pytest-mieb refuses these ids.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from mteb.models.model_implementations.blip_models import BLIPModel

from parity_families.mteb_side import _mteb_calls

CHECKPOINT = "blip_captioning"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    runs = []
    for _ in range(2):
        model = BLIPModel(str(checkpoint), revision=None)
        _mteb_calls.use_pil_image_processor(model.processor, checkpoint)
        runs.append(_mteb_calls.clip_like(model))
    worst = max(float(np.max(np.abs(runs[0][k] - runs[1][k]))) for k in runs[0])
    raise RuntimeError(
        "captioning checkpoint loaded as BlipForImageTextRetrieval: text_encoder, vision_proj "
        f"and text_proj are random on every load (two loads differ by max|diff| = {worst:.2e}); "
        "not reproducible, refused"
    )
