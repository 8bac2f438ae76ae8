"""A task's single number, computed here and nowhere else.

Rule (mteb's, for MIEB): a task's score is the unweighted mean of ``main_score`` over its hf
subsets; any other metric's task value is the same mean of that metric. The subsets are the
ones the result holds, or the ones a caller expects (e.g. a benchmark's subset list).

The score is missing (``None``) when there is no subset to average, or when any chosen subset
lacks the metric, holds something that is not a number (null, a bool, a string), or holds NaN
or an infinity. No subset is ever skipped: a mean over some subsets would pass for a full score.
The result file format already writes undefined values as null, so a score computed in memory
and the same score read back from its file always agree. Callers that need a float use
`task_score_or_nan`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

MAIN_SCORE = "main_score"


def is_score(value: Any) -> bool:
    """A real, finite number (bools are not scores)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return math.isfinite(value)


def mean_or_none(values: Iterable[Any]) -> float | None:
    """Unweighted mean; None when empty or when any value is missing, not a number, NaN or
    infinite (no skipping)."""
    collected = list(values)
    if not collected or not all(is_score(v) for v in collected):
        return None
    return math.fsum(float(v) for v in collected) / len(collected)


def task_score(
    scores: Mapping[str, Mapping[str, Any]],
    subsets: Sequence[str] | None = None,
    metric: str = MAIN_SCORE,
) -> float | None:
    """Mean of ``metric`` over ``subsets`` of ``{subset: {metric: value}}`` (all by default);
    None when missing (see the module docstring)."""
    chosen = list(scores) if subsets is None else list(subsets)
    return mean_or_none(scores.get(subset, {}).get(metric) for subset in chosen)


def task_score_or_nan(
    scores: Mapping[str, Mapping[str, Any]],
    subsets: Sequence[str] | None = None,
    metric: str = MAIN_SCORE,
) -> float:
    """`task_score` as a float: NaN where it is missing."""
    value = task_score(scores, subsets, metric)
    return math.nan if value is None else value
