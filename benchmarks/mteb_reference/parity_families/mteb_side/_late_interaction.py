"""mteb's side of the late-interaction families (ColPali, ColQwen2, ColQwen2.5, ColSmol).

What is returned (the shape both sides agree on):

* `text/<i>`, `image/<j>`, `fused/<k>`: one 2-D array `(n_tokens, 128)` per probe input, the
  token vectors mteb's wrapper produced for it, **padding rows removed** (mteb returns one
  zero-padded 3-D tensor per dataloader; a real token vector is L2-normalised, so the padding
  rows are exactly the all-zero rows). Texts are encoded as queries (`PromptType.query`) of a
  DocumentUnderstanding task, images as its documents, image+text pairs (`images[k]`,
  `TEXTS[k]`) as the queries of an it2i task; order inside a fused matrix: text tokens, then
  image tokens, as mteb concatenates them.
* `maxsim`: `(n_texts, n_images)` scores of the probe texts (queries) against the probe images
  (documents) as mteb's retrieval search computes them: `SearchEncoderWrapper.index` + `search`
  with `top_k` = all documents, i.e. the wrapper's `similarity` (colpali-engine's
  `score_multi_vector`) on mteb's zero-padded tensors, padding included (see
  /work/notes/family-colpali.md for what the padding does to the scores).

Everything runs in fp32 on CPU (mteb's ModelMeta asks for fp16; the tiny parity check does not).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from parity_families.mteb_side._probe_loaders import BATCH_SIZE, dataset, encode

#: A DocumentUnderstanding task (t2i): queries are texts, documents are images.
T2I_TASK = "VidoreDocVQARetrieval"
#: An Any2AnyRetrieval task whose queries are image+text pairs (it2i).
IT2I_TASK = "CIRRIT2IRetrieval"


def token_rows(padded) -> list[np.ndarray]:
    """Each item's token vectors without mteb's all-zero padding rows."""
    out = []
    for item in np.asarray(padded, dtype=np.float64):
        out.append(item[np.linalg.norm(item, axis=-1) > 0])
    return out


def search_scores(wrapper, texts: list[str], images: list[Any]) -> np.ndarray:
    """(n_texts, n_images) MaxSim through mteb's own retrieval search path."""
    import mteb
    from mteb.models.search_wrappers import SearchEncoderWrapper

    meta = mteb.get_task(T2I_TASK).metadata
    queries, corpus = dataset(texts=texts, ids="q"), dataset(images=images, ids="d")
    search = SearchEncoderWrapper(wrapper)
    kwargs = dict(task_metadata=meta, hf_split="test", hf_subset="default",
                  encode_kwargs={"batch_size": BATCH_SIZE, "show_progress_bar": False})  # fmt: skip
    search.index(corpus, **kwargs)
    found = search.search(queries, top_k=len(corpus), **kwargs)
    scores = np.full((len(texts), len(images)), np.nan)
    for qid, docs in found.items():
        for did, score in docs.items():
            scores[int(qid[1:]), int(did[1:])] = score
    if np.isnan(scores).any():
        raise RuntimeError("mteb's search returned fewer scores than documents")
    return scores


def embed(wrapper_class: type, model_name: str, checkpoint: Path) -> dict[str, np.ndarray]:
    """Token matrices and MaxSim scores of the probes through `wrapper_class` on `checkpoint`."""
    import mteb
    import torch
    from mteb.types import PromptType

    from parity_families import probes

    wrapper = wrapper_class(str(checkpoint), device="cpu", torch_dtype=torch.float32)
    wrapper.mteb_model_meta = mteb.get_model_meta(model_name)
    texts, images = probes.TEXTS, probes.images()
    out: dict[str, np.ndarray] = {}
    encoded = {
        "text": encode(wrapper, dataset(texts=texts), T2I_TASK, PromptType.query),
        "image": encode(wrapper, dataset(images=images), T2I_TASK, PromptType.document),
        "fused": encode(wrapper, dataset(texts=texts, images=images), IT2I_TASK,
                         PromptType.query),
    }  # fmt: skip
    for kind, padded in encoded.items():
        for i, rows in enumerate(token_rows(padded)):
            out[f"{kind}/{i}"] = rows
    out["maxsim"] = search_scores(wrapper, texts, images)
    return out
