"""Tasks scored on more than one split.

mteb evaluates every split in a task's `eval_splits`, and a task's score is the flat mean
over all its (split, hf_subset) entries (STSBenchmarkMultilingualVisualSTS: dev and test, 20
entries). Here a task's main split (`eval_split`) keeps plain subset names everywhere; the
subsets of a split scored besides it (`params.extra_eval_splits`) are keyed
``"<split>/<subset>"``. The task-score rule (unweighted mean over every key,
`pytest_mieb.results.task_score`) is then mteb's flat mean unchanged, and only the result
file writer and reader spell the splits out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SEPARATOR = "/"


def extra_splits(spec: Any) -> tuple[str, ...]:
    """The splits `spec` scores besides its `eval_split` (usually none)."""
    return tuple(spec.params.get("extra_eval_splits") or ())


def qualified(split: str, subset: str) -> str:
    return f"{split}{SEPARATOR}{subset}"


def split_of(key: str, extra: Sequence[str], main: str) -> tuple[str, str]:
    """(split, hf_subset) of a score key: a qualified key names an extra split, any other
    key is a subset of the main split."""
    for split in extra:
        prefix = split + SEPARATOR
        if key.startswith(prefix):
            return split, key[len(prefix) :]
    return main, key


def scored_subsets(spec: Any) -> list[str]:
    """Every key the task's score averages: its subsets, then each extra split's."""
    subsets = list(spec.subsets)
    return subsets + [qualified(split, s) for split in extra_splits(spec) for s in subsets]
