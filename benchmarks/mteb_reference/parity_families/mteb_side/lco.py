"""LCO-Embedding-Omni (Qwen2.5-Omni thinker) through mteb 2.26's `LCOEmbedding`
(mteb/models/model_implementations/lco_embedding_models.py); runs as is on transformers 5.

The wrapper is built as `mteb.get_model` builds it (defaults: fps 2, max 64 frames, audio capped
at 4.8M samples; tokenizer padding forced left; weights loaded in bfloat16), then cast to float32
for the comparison (the tiny checkpoint's weights are exactly representable in bf16, so the cast
loses nothing).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.mteb_side import _probe_runs


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    import torch
    from mteb.models.model_implementations.lco_embedding_models import LCOEmbedding

    wrapper = LCOEmbedding(str(checkpoint), device="cpu")
    wrapper.model.to(torch.float32)
    return _probe_runs.encode_all(wrapper.encode)
