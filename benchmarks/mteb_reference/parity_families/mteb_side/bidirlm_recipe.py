"""BidirLM-Omni's mteb 2.26 recipe (`bidirlm_omni_models.BidirLMOmniEncoder`), run as written on
a stand-in checkpoint: the tiny e5-omni-style sentence-transformers model.

BidirLM/BidirLM-Omni-2.5B-Embedding itself cannot be built here: its architecture, processor and
sentence-transformers modules are remote code in the hub repo (`trust_remote_code=True`), which
is in no installed package and cannot be downloaded. What this family checks is the recipe layer
mteb wraps around the model, which is independent of the architecture: the instruction chosen per
task and side (`_get_instruction`: the task-name table, none for retrieval documents, STS /
pair-classification / bitext defaults), passed as `prompt=` to plain `SentenceTransformer.encode`
(a system message for a chat model); rows as one dict per sample in the key order image, audio,
text, video; `max_seq_length` 1024 for text-only calls, 32768 otherwise. Loaded with the
registered ModelMeta's loader kwargs (`trust_remote_code=True, max_text_length=1024`) and its
video processor (`AutoVideoProcessor(..., do_sample_frames=False)`).

Published run (mteb 2.14.2 / 2.12.x) differences: `attn_implementation="eager"`, all samples in
one `encode` call (the same for 6 probes at batch size 32), the same instruction table.
"""

from __future__ import annotations

from pathlib import Path

import mteb
import numpy as np
from mteb.models.model_implementations.bidirlm_omni_models import BidirLMOmniEncoder

from parity_families.mteb_side import _mteb_calls

CHECKPOINT = "e5_omni"
PUBLISHED_ID = "BidirLM/BidirLM-Omni-2.5B-Embedding"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    meta = mteb.get_model_meta(PUBLISHED_ID)
    model = BidirLMOmniEncoder(str(checkpoint), revision=None, **meta.loader_kwargs)
    model.mteb_model_meta = meta
    return _mteb_calls.per_context(model)
