"""Task results and baselines for the gate tests."""

from __future__ import annotations

from pytest_mieb.results.files import TaskResult


def result(task: str, score: float, *, limit=None, model="m/new", **metrics) -> TaskResult:
    """A one-subset result whose main score is its accuracy; `metrics` add other metrics."""
    return TaskResult(
        task_name=task,
        scores={"default": {"accuracy": score, **metrics, "main_score": score}},
        model_name=model,
        main_score_name="accuracy",
        dataset_revision="d1",
        limit=limit,
    )


def baseline_of(*results: TaskResult) -> dict:
    """A baseline as `compare_to_baseline` takes it: results keyed by (task, limit)."""
    return {(r.task_name, r.limit): r for r in results}
