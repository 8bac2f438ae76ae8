"""Published MIEB scores, packaged with us, to check our numbers and to plan shards.

The data file ``pytest_mieb/results/published_scores.json`` is a compacted copy of the
published results (embeddings-benchmark/results at commit f4cc6c8b, task definitions of mteb
2.26.24): per model, per task, the main score (0-1, 6 decimals) and the evaluation time in
seconds, plus each task's type, main score name, benchmarks and hf subsets. Its ``note`` key
says how it was built.
"""

from __future__ import annotations

import difflib
import json
import math
import statistics
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any, NamedTuple

from pytest_mieb.results.files import TaskResult

DATA_FILE = "results/published_scores.json"
#: Benchmarks whose task list the packaged data holds completely. MIEB(Img) is left out: it
#: includes two full multi-subset STS tasks that are not among the 130 MIEB(Multilingual) ones.
COMPLETE_BENCHMARKS = ("MIEB(Multilingual)", "MIEB(eng)", "MIEB(lite)")
PUBLISHED_SUFFIX = " (published)"


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    text = resources.files("pytest_mieb").joinpath(DATA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def task_order() -> list[str]:
    """The 130 MIEB(Multilingual) tasks in catalogue order."""
    return list(_data()["task_order"])


def task_types() -> dict[str, str]:
    return {task: info["type"] for task, info in _data()["tasks"].items()}


def main_score_names() -> dict[str, str]:
    return {task: info["main_score"] for task, info in _data()["tasks"].items()}


def task_subsets() -> dict[str, list[str]]:
    return {task: list(info["subsets"]) for task, info in _data()["tasks"].items()}


def benchmark_tasks() -> dict[str, list[str]]:
    """{benchmark: tasks in catalogue order} for the benchmarks listed in COMPLETE_BENCHMARKS."""
    tasks = _data()["tasks"]
    return {
        name: [task for task in task_order() if name in tasks[task]["benchmarks"]]
        for name in COMPLETE_BENCHMARKS
    }


def published_models() -> list[str]:
    return sorted(_data()["models"])


def _model(model: str) -> dict[str, Any]:
    models = _data()["models"]
    if model not in models:
        close = difflib.get_close_matches(model, list(models), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no published MIEB scores for {model!r}{hint}")
    return models[model]


def reference_revision(model: str) -> str:
    return _model(model)["revision"]


def _column(model: str, key: str) -> dict[str, float]:
    values = _model(model)[key]
    return {task: v for task, v in zip(task_order(), values, strict=True) if v is not None}


def reference_scores(model: str) -> dict[str, float]:
    """{task: published main score (0-1)} for the tasks the model has a score on."""
    return _column(model, "scores")


def reference_times(model: str) -> dict[str, float]:
    """{task: published evaluation time in seconds}."""
    return _column(model, "seconds")


def published_results(model: str) -> list[TaskResult]:
    """The published scores as results, named ``<model> (published)`` so they never merge
    with a run of the same model."""
    types = task_types()
    names = main_score_names()
    revision = reference_revision(model)
    times = reference_times(model)
    return [
        TaskResult(
            task_name=task,
            scores={"default": {"main_score": score}},
            model_name=model + PUBLISHED_SUFFIX,
            model_revision=revision,
            task_type=types[task],
            main_score_name=names[task],
            evaluation_time=times.get(task),
            source="published",
        )
        for task, score in reference_scores(model).items()
    ]


def estimated_durations(statistic: str = "median") -> dict[str, float]:
    """{task: seconds} over all published models: ``median`` (default), ``mean`` or ``max``.

    Published times come from many machines and model sizes; only their ratios between tasks
    matter for balancing shards.
    """
    summaries = {"median": statistics.median, "mean": statistics.fmean, "max": max}
    if statistic not in summaries:
        raise ValueError(f"statistic must be one of {sorted(summaries)}, not {statistic!r}")
    summary = summaries[statistic]
    per_task: dict[str, list[float]] = {}
    for model in _data()["models"].values():
        for task, seconds in zip(task_order(), model["seconds"], strict=True):
            if seconds is not None:
                per_task.setdefault(task, []).append(seconds)
    return {task: float(summary(values)) for task, values in per_task.items()}


class Deviation(NamedTuple):
    task: str
    ours: float
    published: float
    diff: float  # ours - published


def deviations(
    run: Mapping[str, float], reference: Mapping[str, float], threshold: float = 0.01
) -> list[Deviation]:
    """Tasks whose score differs from the published one by more than ``threshold`` (0-1 scale).

    Only tasks present in both are compared; a NaN or infinite score of ours always counts, so
    a task score that is missing (`TaskResult.main_score` gives NaN, see
    `pytest_mieb.results.task_score`) is always reported.
    Sorted by the size of the difference, largest first, then by task name.
    """
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {threshold}")
    found = []
    for task in sorted(set(run) & set(reference)):
        ours, published = float(run[task]), float(reference[task])
        diff = ours - published
        if not math.isfinite(diff) or abs(diff) > threshold:
            found.append(Deviation(task, ours, published, diff))
    return sorted(
        found, key=lambda d: (-abs(d.diff) if math.isfinite(d.diff) else -math.inf, d.task)
    )
