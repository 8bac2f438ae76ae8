"""A plain sentence-transformers image+text model through mteb 2.26's
`SentenceTransformerEncoderWrapper`, fed per task context.

`mteb.get_model` cannot load a local directory (it raises NotImplementedError), so the wrapper is
built as mteb's hub path builds it: `SentenceTransformerEncoderWrapper(path)`, whose model meta
then gets the modalities mteb reads from `sentence_bert_config.json`
(`ModelMeta._detect_modalities_from_sbert_config`: `["image", "text"]` here). Prompts are the
model's own (`config_sentence_transformers.json`), chosen per call by `get_prompt_name` and
passed as `prompt=`; queries go through `encode_query`, documents `encode_document`, the rest
`encode`. Texts alone are one list of strings; any batch with an image column goes per batch as
one dict per sample; ST prepends the prompt to text only (images get none). Image processing is
whatever ST's `Transformer` loads (transformers 5's default, the torchvision
`CLIPImageProcessor`); no MIEB score was published for such a model, so there is no older path.

Image+text rows (`fused`, e.g. CIRRIT2IRetrieval queries) are left out: sentence-transformers 6.3
refuses them for this model ("supports image and text individually, but cannot combine them in a
single input"), so mteb 2.26 fails on every it2i / it2t / t2it / it2it task with such a model.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from mteb.models.model_meta import ModelMeta
from mteb.models.sentence_transformer_wrapper import SentenceTransformerEncoderWrapper

from parity_families.mteb_side import _mteb_calls


def load(checkpoint: Path) -> SentenceTransformerEncoderWrapper:
    """The wrapper with the model meta modalities mteb derives for a hub ST repo."""
    wrapper = SentenceTransformerEncoderWrapper(str(checkpoint))
    sbert = checkpoint / "sentence_bert_config.json"
    config = json.loads(sbert.read_text("utf-8")) if sbert.is_file() else None
    modalities = ModelMeta._detect_modalities_from_sbert_config(config)
    wrapper.mteb_model_meta = wrapper.mteb_model_meta.model_copy(update={"modalities": modalities})
    return wrapper


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    return _mteb_calls.per_context(load(checkpoint), fused=False)
