"""The one narrow door from the plugin to the evaluation layer: spec + embedder -> scores.

`evaluate_task` loads the task's data (pinned hub revision or local mirror), hands it to the
protocol's evaluator and times the whole thing. Nothing here knows about pytest.

With ``per_item=True`` it also collects the evaluator's per-item values (the vectors behind
mean metrics, for bootstrap confidence intervals; see `pytest_mieb.results.gates.bootstrap_ci`).
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from pytest_mieb.evaluators import get_evaluator
from pytest_mieb.evaluators.base import Embedder, PerItemStore, collect_per_item
from pytest_mieb.results.task_score import task_score_or_nan
from pytest_mieb.tasks.spec import TaskSpec


@dataclass(frozen=True)
class TaskScores:
    """Scores of one task for one model: per hf subset, plus the task's single number.

    `per_item`, when collected, maps metric -> hf subset -> per-item values whose mean is
    that subset's metric; ``"main_score"`` names the vectors of the task's main score.
    Metrics that are not item means (correlations, NMI, macro F1, ...) have no entry.
    """

    task: str
    subsets: dict[str, dict[str, float]]
    evaluation_time: float
    limit: int | None = None
    per_item: PerItemStore | None = None

    @property
    def main_score(self) -> float:
        """The task score (`pytest_mieb.results.task_score`); NaN where it is missing."""
        return task_score_or_nan(self.subsets)


def evaluate_task(
    spec: TaskSpec,
    embedder: Embedder,
    *,
    data_dir: str | Path | None = None,
    limit: int | None = None,
    per_item: bool = False,
) -> TaskScores:
    from pytest_mieb.data import load_task_data

    evaluate = get_evaluator(spec.protocol)
    start = time.perf_counter()
    data = load_task_data(spec, data_dir=data_dir, limit=limit)
    with collect_per_item() if per_item else nullcontext() as store:
        subsets = evaluate(spec, data, embedder)
    elapsed = time.perf_counter() - start
    for subset, scores in subsets.items():
        if "main_score" not in scores:
            raise ValueError(f"{spec.name}: evaluator gave no main_score for subset {subset!r}")
    if store is not None and spec.main_score in store:
        store["main_score"] = store[spec.main_score]
    return TaskScores(
        task=spec.name, subsets=subsets, evaluation_time=elapsed, limit=limit, per_item=store
    )
