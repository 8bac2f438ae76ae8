"""Small helpers shared by the non-retrieval evaluators.

They keep the evaluator modules about protocol only: asking the embedder with checks,
turning numpy scalars into plain floats, and attaching the task's main score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pytest_mieb.data.containers import Inputs
from pytest_mieb.evaluators.base import Embedder, check_embeddings


def embed_checked(
    embedder: Embedder,
    inputs: Inputs,
    *,
    task: str,
    what: str,
    dim: int | None = None,
) -> np.ndarray:
    """Embed `inputs` (no prompt type, as mteb does for these task types) and validate.

    The row count must equal the number of inputs; `dim`, when given, pins the width so
    that the two sides of a comparison cannot silently disagree.
    """
    emb = embedder.embed(inputs)
    return check_embeddings(task, what, emb, n_rows=len(inputs), dim=dim)


def plain_floats(scores: Mapping[str, Any]) -> dict[str, float]:
    """Metric values as Python floats (NaN stays NaN), so results serialise cleanly."""
    return {key: float(value) for key, value in scores.items()}


def with_main_score(task: str, scores: Mapping[str, float], main_score: str) -> dict[str, float]:
    """Copy `scores` and add "main_score"; a main score the protocol lacks is a spec error."""
    if main_score not in scores:
        known = ", ".join(scores)
        raise ValueError(f"{task}: main score {main_score!r} is not one of the metrics ({known})")
    out = plain_floats(scores)
    out["main_score"] = out[main_score]
    return out


def require_same_length(task: str, what: str, inputs: Inputs, labels: Sequence[Any]) -> None:
    if len(inputs) != len(labels):
        raise ValueError(f"{task}: {what} has {len(inputs)} inputs but {len(labels)} labels")


def require_rows(task: str, what: str, n: int) -> None:
    if n == 0:
        raise ValueError(f"{task}: {what} is empty")


def unit_float32(x: np.ndarray) -> np.ndarray:
    """float32 copy scaled to unit L2 norm along the last axis (mteb scores in float32)."""
    x = np.asarray(x, dtype=np.float32)
    return x / np.linalg.norm(x, axis=-1, keepdims=True)
