"""OmniEmbed (Tevatron/OmniEmbed-v0.1) through mteb 2.26's
`tevatron_omni_embed_models.TevatronOmniEmbedWrapper`, as written, on a tiny OmniEmbed-style
adapter (see `tinymodels/omniembed.py` for what is assumed about the real repo).

The loader is called as `mteb.get_model` calls it, with the registered ModelMeta's revision and
loader kwargs (`trust_remote_code=True`, `model_kwargs={"torch_dtype": "bfloat16"}`,
`base_revision=8876e9bc...`): the wrapper `snapshot_download`s the adapter at the pinned revision
and the base `Tevatron/Qwen2.5-Omni-7B-Thinker` at `base_revision`, rewrites the adapter's
`base_model_name_or_path` to that local base, and loads sentence-transformers from a temp copy.
Both repos are served offline under their real ids and commits (`_offline_hub`). The model runs
in bf16 (also on CPU). Prompts: the model's own ST prompts by `get_prompt_name` (system
message); text-only calls: `max_seq_length=512` and text truncation at 512; calls with an image
column: `max_seq_length=32768`, no text truncation; queries `encode_query`, documents
`encode_document`, the rest `encode`.

Published run (mteb 2.12.32) differences: no `base_revision` (base from main at that time), no
truncation / max_seq_length override (no difference for these short probes), every batch as
per-sample dicts to plain `encode`.
"""

from __future__ import annotations

from pathlib import Path

import mteb
import numpy as np
from mteb.models.model_implementations.tevatron_omni_embed_models import (
    TevatronOmniEmbedWrapper,
)

from parity_families.mteb_side import _mteb_calls
from parity_families.mteb_side._offline_hub import hub_repos

CHECKPOINT = "omniembed"
PUBLISHED_ID = "Tevatron/OmniEmbed-v0.1"
BASE_ID = "Tevatron/Qwen2.5-Omni-7B-Thinker"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    meta = mteb.get_model_meta(PUBLISHED_ID)
    kwargs = dict(meta.loader_kwargs)
    base = checkpoint.parent / "omni_thinker"  # built next to the adapter
    served = {PUBLISHED_ID: (checkpoint, meta.revision), BASE_ID: (base, kwargs["base_revision"])}
    with hub_repos(served):
        model = TevatronOmniEmbedWrapper(PUBLISHED_ID, revision=meta.revision, **kwargs)
    model.mteb_model_meta = meta
    return _mteb_calls.per_context(model)
