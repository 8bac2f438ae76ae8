"""Shared fakes for the evaluator tests: a vector-table embedder, a TaskSpec builder and a
retrieval-subset builder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pytest_mieb.data.containers import Inputs, RetrievalSubset
from pytest_mieb.tasks.spec import DatasetRef, TaskSpec


class VectorEmbedder:
    """Fake embedder whose embeddings are given, and which records every call.

    An `Inputs` whose key is in `arrays` gets that array as is; otherwise each image already
    is its embedding vector, and each text is looked up in `text_vectors`. Every call is
    recorded in `calls` (the inputs), `requests` (key, side) and `contexts` (key, side,
    subset, split). Unless `any_prompt_type`, every call must come without a side (mteb's
    prompt type).
    """

    def __init__(
        self,
        text_vectors: Mapping[str, Sequence[float]] | None = None,
        *,
        arrays: Mapping[str, np.ndarray] | None = None,
        similarity: str = "cosine",
        any_prompt_type: bool = False,
    ) -> None:
        self.device = "cpu"
        self.text_vectors = text_vectors or {}
        self.arrays = arrays or {}
        self.similarity = similarity
        self.any_prompt_type = any_prompt_type
        self.calls: list[Inputs] = []
        self.requests: list[tuple[str, str | None]] = []
        self.contexts: list[tuple[str, str | None, str, str | None]] = []

    def embed(
        self, inputs: Inputs, *, side=None, subset: str = "default", split: str | None = None
    ) -> np.ndarray:
        self.calls.append(inputs)
        self.requests.append((inputs.key, side))
        self.contexts.append((inputs.key, side, subset, split))
        assert self.any_prompt_type or side is None
        if inputs.key in self.arrays:
            return self.arrays[inputs.key]
        if inputs.images is not None:
            return np.stack([np.asarray(v, dtype=np.float32) for v in inputs.images])
        return np.stack([np.asarray(self.text_vectors[t], dtype=np.float32) for t in inputs.texts])


def array_embedder(
    arrays: Mapping[str, np.ndarray] | None = None, similarity: str = "cosine"
) -> VectorEmbedder:
    """Serves fixed arrays by `Inputs.key` (images without one are their own vectors) and
    accepts any side; `requests` records (key, side) of each call."""
    return VectorEmbedder(arrays=arrays, similarity=similarity, any_prompt_type=True)


def task_spec(
    name: str,
    type: str,
    protocol: str,
    main_score: str,
    dataset: str = "local/fake",
    revision: str = "0",
    **fields: Any,
) -> TaskSpec:
    """A TaskSpec evaluated on its "test" split; `fields` (params, modalities, ...) pass on."""
    return TaskSpec(
        name=name,
        type=type,
        protocol=protocol,
        dataset=DatasetRef(dataset, revision),
        eval_split="test",
        main_score=main_score,
        **fields,
    )


def make_subset(query_ids, corpus_ids, qrels, tag="default", candidates=None) -> RetrievalSubset:
    """A retrieval subset of texts "query <id>" / "doc <id>" under keys "<tag>/queries" and
    "<tag>/corpus" (embeddings come from `array_embedder` by those keys)."""
    return RetrievalSubset(
        query_ids=list(query_ids),
        queries=Inputs(key=f"{tag}/queries", texts=[f"query {q}" for q in query_ids]),
        corpus_ids=list(corpus_ids),
        corpus=Inputs(key=f"{tag}/corpus", texts=[f"doc {d}" for d in corpus_ids]),
        qrels=qrels,
        candidates=candidates,
    )
