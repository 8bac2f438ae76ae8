"""e5-omni (Haon-Chen/e5-omni-3B/-7B) through mteb 2.26's `e5_omni_models.E5OmniWrapper`, as
written, on a tiny e5-omni-style checkpoint (see `tinymodels/e5_omni.py` for what is assumed
about the real repo's layout).

Built as `mteb.get_model` builds it (loader kwargs `trust_remote_code=True`; the wrapper's
model meta is the registered ModelMeta, modalities text/image/audio/video). Prompts: the model's
own ST `prompts` (mteb passes none), chosen per call by `get_prompt_name`; with only `query` and
`document` keys every non-retrieval call gets none. In ST the prompt becomes the system message
(the model takes chat messages); queries via `encode_query`, documents via `encode_document`,
the rest `encode`. Text-only calls: one list of strings, `processing_kwargs["text"] =
{truncation: True, max_length: 512}`; calls with an image column: per batch, one dict per sample
(`{"image": PIL, "text": str}` in dataset column order), no text truncation.

Published run (mteb 2.12.32) differences: no 512-token text truncation (probe texts are shorter,
so no difference here), every batch sent as per-sample dicts to plain `encode` (same result for
a model without task-specific modules), video fps 1.0.
"""

from __future__ import annotations

from pathlib import Path

import mteb
import numpy as np
from mteb.models.model_implementations.e5_omni_models import E5OmniWrapper

from parity_families.mteb_side import _mteb_calls

CHECKPOINT = "e5_omni"
PUBLISHED_ID = "Haon-Chen/e5-omni-3B"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    model = E5OmniWrapper(str(checkpoint), revision=None, trust_remote_code=True)
    model.mteb_model_meta = mteb.get_model_meta(PUBLISHED_ID)
    return _mteb_calls.per_context(model)
