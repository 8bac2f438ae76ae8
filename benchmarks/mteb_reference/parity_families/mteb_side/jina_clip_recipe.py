"""jina-clip's recipe through mteb 2.26's own `JinaCLIPModel`, on a stand-in model.

jina-clip's model, tokenizer and image transform are remote code from Hub repos that cannot be
reached here (family-jina_clip.md), so the tiny checkpoint carries stand-in remote code with the
same interface (`tinymodels/jina_clip.py`). This checks what mteb does around the model — how it
calls `encode_text` / `encode_image`, the fp32 cast, fused = text + image — not jina-clip's
numerics. mteb's wrapper runs unmodified; images are converted to RGB first, as the MIEB-era
evaluators did.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from mteb.models.model_implementations.jina_clip import JinaCLIPModel

from parity_families.mteb_side import _mteb_calls

CHECKPOINT = "jina_clip"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    model = JinaCLIPModel(str(checkpoint), revision=None, device="cpu")
    return _mteb_calls.clip_like(model, _mteb_calls.rgb_images())
