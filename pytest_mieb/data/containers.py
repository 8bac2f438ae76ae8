"""The in-memory shapes that the data layer hands to evaluators.

Data loaders (`pytest_mieb.data`) build these; evaluators (`pytest_mieb.evaluators`) read
them and ask an `Embedder` for embeddings of their `Inputs`. Nothing here imports torch or
datasets: images are any sequence of PIL images (typically decoded lazily on access).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

InputKind = Literal["image", "text", "image+text"]


def rows_digest(indices: Sequence[int]) -> str:
    """A short, stable digest of a row selection, for cache keys."""
    data = np.asarray(indices, dtype=np.int64).tobytes()
    return hashlib.sha1(data).hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class Inputs:
    """One column of model inputs plus the identity the embedding cache keys on.

    `key` names the data, not the model: "<dataset>@<revision>/<config>/<split>/<column>",
    with "#<rows digest>" appended for a row subset. Two `Inputs` with equal keys must hold
    the same inputs in the same order; the embedder may then encode them only once.
    Fused image+text inputs carry both sequences, item k of each belonging together.
    """

    key: str
    images: Sequence[Any] | None = None
    texts: Sequence[str] | None = None

    def __post_init__(self) -> None:
        if self.images is None and self.texts is None:
            raise ValueError(f"Inputs {self.key!r} hold neither images nor texts")
        if (
            self.images is not None
            and self.texts is not None
            and len(self.images) != len(self.texts)
        ):
            raise ValueError(
                f"Inputs {self.key!r}: {len(self.images)} images but {len(self.texts)} texts"
            )

    @property
    def kind(self) -> InputKind:
        if self.images is not None and self.texts is not None:
            return "image+text"
        return "image" if self.images is not None else "text"

    def __len__(self) -> int:
        seq = self.images if self.images is not None else self.texts
        assert seq is not None
        return len(seq)

    def subset(self, indices: Sequence[int]) -> Inputs:
        """The given rows, in the given order, with a key that names the selection."""
        idx = [int(i) for i in indices]
        return Inputs(
            key=f"{self.key}#{rows_digest(idx)}",
            images=None if self.images is None else RowView(self.images, idx),
            texts=None if self.texts is None else [self.texts[i] for i in idx],
        )


class RowView(Sequence):
    """A lazy view of selected rows of a sequence (keeps images undecoded until read).

    `base` and `indices` say where the rows come from, so an embedding cache can serve a
    subset by slicing the embeddings of the full column.
    """

    def __init__(self, base: Sequence[Any], indices: list[int]) -> None:
        self._base = base
        self._indices = indices

    @property
    def base(self) -> Sequence[Any]:
        return self._base

    @property
    def indices(self) -> list[int]:
        return self._indices

    def __len__(self) -> int:
        return len(self._indices)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self._base[j] for j in self._indices[i]]
        return self._base[self._indices[i]]


@dataclass(frozen=True, eq=False)
class LabelledImages:
    """Images with one integer label each (or a list of label ids each, multi-label)."""

    inputs: Inputs
    labels: Sequence[Any]


@dataclass(frozen=True, eq=False)
class ClassificationData:
    """Linear-probe data: the full train split (sampled by the evaluator) and the eval split."""

    train: LabelledImages
    test: LabelledImages


@dataclass(frozen=True, eq=False)
class ClusteringData:
    test: LabelledImages


@dataclass(frozen=True, eq=False)
class ZeroShotData:
    """Eval images with labels indexing `candidates` (one prompt text per class)."""

    test: LabelledImages
    candidates: Inputs


@dataclass(frozen=True, eq=False)
class RetrievalSubset:
    """One retrieval problem: queries, corpus and graded judgements.

    `qrels[query_id][doc_id] = relevance` (int; >= 1 is relevant). `candidates`, when set,
    restricts each query to its own documents (multiple-choice tasks).
    """

    query_ids: Sequence[str]
    queries: Inputs
    corpus_ids: Sequence[str]
    corpus: Inputs
    qrels: dict[str, dict[str, int]]
    candidates: dict[str, list[str]] | None = None


@dataclass(frozen=True, eq=False)
class RetrievalData:
    """Retrieval data per hf subset ("default" for monolingual tasks)."""

    subsets: dict[str, RetrievalSubset]


@dataclass(frozen=True, eq=False)
class PairMatchingData:
    """Compositionality rows: image column i goes with text column i."""

    image_columns: Sequence[Inputs]
    text_columns: Sequence[Inputs]


@dataclass(frozen=True, eq=False)
class STSPairs:
    first: Inputs
    second: Inputs
    scores: Sequence[float]


@dataclass(frozen=True, eq=False)
class STSData:
    """Visual STS pairs per hf subset ("default" for single-subset tasks)."""

    subsets: dict[str, STSPairs] = field(default_factory=dict)
