"""What every evaluator shares: the `Embedder` it asks, and embedding checks.

Evaluators are pure protocol code: they never import pytest, never load data and never
touch a model directly. They get a `TaskSpec`, the task's data (see `pytest_mieb.data.containers`)
and an `Embedder`, and return `{hf_subset: {metric: float, ..., "main_score": float}}`.

Per-item values (for bootstrap confidence intervals) travel on a side channel so that the
evaluator signature stays the same: inside `collect_per_item()` an evaluator's
`report_per_item(subset, metric, values)` calls land in the active store; outside it they
do nothing. A reported vector's mean is the metric it is reported for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal, Protocol

import numpy as np

from pytest_mieb.data.containers import Inputs

PromptType = Literal["query", "document"]
SubsetScores = dict[str, dict[str, float]]
#: metric -> hf subset -> float64 per-item values whose mean is that metric.
PerItemStore = dict[str, dict[str, np.ndarray]]

_PER_ITEM_STORE: ContextVar[PerItemStore | None] = ContextVar("mieb_per_item", default=None)


class EmbeddingError(ValueError):
    """The model's embeddings cannot be scored (NaN/inf, zero rows, wrong shape).

    A problem of the model under test, not of the harness: its message is the one line to
    show, naming the task and what is wrong.
    """


class Embedder(Protocol):
    """Turns `Inputs` into a float32 (n, d) array; may serve repeats from a cache.

    Evaluators get an embedder already bound to their task (`pytest_mieb.run` binds it, see
    `pytest_mieb.embed.task_embedder`) and say only what the task alone does not: the `side`
    (query / document on the two sides of retrieval-type tasks, exactly where mteb passes a
    prompt type; None everywhere else), the hf `subset` and the hf `split` (the train split
    for a linear probe's training rows; default: the task's evaluation split).

    `device` is where the model runs (a torch device or its name); an evaluator runs its
    own tensor work (retrieval's top-k) there too, so one setting (`--mieb-device`, the GPU
    xdist gave the worker, CPU for the baselines) decides for the whole item.
    """

    similarity: Literal["cosine", "dot", "maxsim"]
    device: Any

    def embed(
        self,
        inputs: Inputs,
        *,
        side: PromptType | None = None,
        subset: str = "default",
        split: str | None = None,
    ) -> np.ndarray: ...


def check_embeddings(
    task: str, what: str, emb: np.ndarray, n_rows: int | None = None, dim: int | None = None
) -> np.ndarray:
    """Refuse embeddings that would give a silent, meaningless score.

    Raises `EmbeddingError` (a ValueError) naming the task and the problem: wrong shape,
    row count or width, NaN/inf values, or all-zero rows. Returns the array as float32.
    """
    arr = np.asarray(emb)
    if arr.ndim != 2:
        raise EmbeddingError(
            f"{task}: {what} embeddings must be 2-D (n, dim), got shape {arr.shape}"
        )
    if n_rows is not None and arr.shape[0] != n_rows:
        raise EmbeddingError(
            f"{task}: {what} embeddings have {arr.shape[0]} rows, expected {n_rows}"
        )
    if dim is not None and arr.shape[1] != dim:
        raise EmbeddingError(
            f"{task}: {what} embeddings have dimension {arr.shape[1]}, expected {dim} "
            "(mismatched embedding sizes between the compared sides)"
        )
    arr = arr.astype(np.float32, copy=False)
    finite = np.isfinite(arr)
    if not finite.all():
        bad = int((~finite.all(axis=1)).sum())
        raise EmbeddingError(f"{task}: {what} embeddings contain NaN or inf in {bad} row(s)")
    zero = ~arr.any(axis=1)
    if zero.any():
        raise EmbeddingError(
            f"{task}: {what} embeddings have {int(zero.sum())} all-zero row(s) "
            f"(first at row {int(np.flatnonzero(zero)[0])})"
        )
    return arr


def checked(
    task: str, what: str, emb: Any, n_rows: int | None = None, dim: int | None = None
) -> Any:
    """`check_embeddings`, or for a late-interaction model's `MultiVectors` the same checks
    per input: row count, width, finite values, at least one token."""
    from pytest_mieb.embed.multivector import MultiVectors

    if not isinstance(emb, MultiVectors):
        return check_embeddings(task, what, emb, n_rows=n_rows, dim=dim)
    if n_rows is not None and len(emb) != n_rows:
        raise EmbeddingError(f"{task}: {what} embeddings have {len(emb)} rows, expected {n_rows}")
    if dim is not None and emb.dim != dim:
        raise EmbeddingError(
            f"{task}: {what} embeddings have dimension {emb.dim}, expected {dim} "
            "(mismatched embedding sizes between the compared sides)"
        )
    if not emb.all_finite():
        raise EmbeddingError(f"{task}: {what} token vectors contain NaN or inf")
    empty = np.flatnonzero(emb.lengths == 0)
    if empty.size:
        raise EmbeddingError(
            f"{task}: {what} embeddings have {empty.size} input(s) without any token vector "
            f"(first at row {int(empty[0])})"
        )
    return emb


def l2_normalize(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@contextmanager
def collect_per_item() -> Iterator[PerItemStore]:
    """Activate a fresh per-item store for the evaluator calls inside the block; yield it.

    Nested blocks each get their own store; the outer one is restored on exit.
    """
    store: PerItemStore = {}
    token = _PER_ITEM_STORE.set(store)
    try:
        yield store
    finally:
        _PER_ITEM_STORE.reset(token)


def collecting_per_item() -> bool:
    """Whether a store is active, so evaluators can skip building vectors nobody keeps."""
    return _PER_ITEM_STORE.get() is not None


def report_per_item(subset: str, metric: str, values: np.ndarray | list[float]) -> None:
    """Keep a float64 copy of `values` (one per evaluated item) when a store is active."""
    store = _PER_ITEM_STORE.get()
    if store is None:
        return
    store.setdefault(metric, {})[subset] = np.array(values, dtype=np.float64).ravel()
