"""DINOv2 through mteb 2.26's `dino_models.DINOModel` (transformers `AutoModel` + image processor).

The wrapper runs as written, with one change: its image processor is the PIL class
(`BitImageProcessorPil`) instead of the torchvision one transformers 5 picks, as the published
scores (mteb 1.14, transformers 4) had it. Embedding = `last_hidden_state[:, 0]` (CLS after the
final LayerNorm), not normalised, fp32. Image-only: the wrapper raises on any text column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from mteb.models.model_implementations.dino_models import DINOModel
from transformers import AutoImageProcessor

from parity_families import probes
from parity_families.mteb_side import _mteb_calls


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    model = DINOModel(str(checkpoint), revision=None)
    model.processor = AutoImageProcessor.from_pretrained(checkpoint, backend="pil")
    return {"image": _mteb_calls.images_plain(model, probes.images())}
