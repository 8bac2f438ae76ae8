"""The one narrow door from the plugin to the evaluation layer: spec + embedder -> scores.

`evaluate_task` loads the task's data (pinned hub revision or local mirror), hands it to the
protocol's evaluator and times the whole thing. Nothing here knows about pytest.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

from pytest_mieb.evaluators import get_evaluator
from pytest_mieb.evaluators.base import Embedder
from pytest_mieb.task import TaskSpec


@dataclass(frozen=True)
class TaskScores:
    """Scores of one task for one model: per hf subset, plus the task's single number."""

    task: str
    subsets: dict[str, dict[str, float]]
    evaluation_time: float
    limit: int | None = None

    @property
    def main_score(self) -> float:
        """Unweighted mean of `main_score` over subsets (how MIEB reduces a task)."""
        values = [s["main_score"] for s in self.subsets.values()]
        return math.fsum(values) / len(values) if values else math.nan


def evaluate_task(
    spec: TaskSpec,
    embedder: Embedder,
    *,
    data_dir: str | Path | None = None,
    limit: int | None = None,
) -> TaskScores:
    from pytest_mieb.data import load_task_data

    evaluate = get_evaluator(spec.protocol)
    start = time.perf_counter()
    data = load_task_data(spec, data_dir=data_dir, limit=limit)
    subsets = evaluate(spec, data, embedder)
    elapsed = time.perf_counter() - start
    for subset, scores in subsets.items():
        if "main_score" not in scores:
            raise ValueError(f"{spec.name}: evaluator gave no main_score for subset {subset!r}")
    return TaskScores(task=spec.name, subsets=subsets, evaluation_time=elapsed, limit=limit)
