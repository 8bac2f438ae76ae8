"""Benchmark tables from results, aggregated the way mteb's MIEB leaderboard does.

- Task score: `pytest_mieb.results.task_score.task_score` over the task's expected subsets
  (unweighted mean of ``main_score``; missing if any expected subset is missing, null, NaN or
  infinite).
- Per-type mean: unweighted mean of the task scores of that type; missing if any task of the
  type is missing. Mean (TaskType): mean of the per-type means; missing if any is missing.
- Rank: by Mean (TaskType), descending, missing last, numbered 1, 2, ... (ties broken by name).
- Rank (Borda): per task, models with a score are ranked (higher is better, ties share the
  average rank) and earn ``n_models - rank`` points; totals are ranked, ties share the best rank.
- MIEB(Multilingual) adds ``MIEB(eng) Task Mean`` and ``MIEB(lite) Task Mean``: plain means of
  the task scores over those benchmarks' tasks (missing if any is missing).

A model column is one (model name, revision, limit): results of a limited run never mix with
full ones, they get their own column labelled ``[limit N]``. Duplicate results of one
(model, revision, task, limit), e.g. from overlapping shard folders, are resolved by
``merge_results``: ``"newest"`` (default) keeps the one with the latest ``date`` (on equal dates,
the one read last), ``"error"`` refuses unless the duplicates are identical.

Rendering lives in `pytest_mieb.results.render` and `pytest_mieb.results.html_page`.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_mieb.results.files import TaskResult, iter_results
from pytest_mieb.results.task_score import is_score, mean_or_none, task_score
from pytest_mieb.tasks.types import ordered_types

#: The benchmark whose table carries the two custom task-mean columns, and their sources.
CUSTOM_GROUPS_BENCHMARK = "MIEB(Multilingual)"
CUSTOM_GROUP_SOURCES: dict[str, str] = {
    "MIEB(eng) Task Mean": "MIEB(eng)",
    "MIEB(lite) Task Mean": "MIEB(lite)",
}
UNKNOWN_TYPE = "Unknown"
DUPLICATE_POLICIES = ("newest", "error")


class DuplicateResultError(ValueError):
    """Two different results claim the same (model, revision, task, limit)."""


# --- aggregation: pure functions -----------------------------------------------------------


def type_means(
    scores: Mapping[str, float | None], tasks: Sequence[str], task_types: Mapping[str, str]
) -> dict[str, float | None]:
    """Per-type mean over ``tasks``; a type with any missing task is missing."""
    grouped: dict[str, list[float | None]] = {}
    for task in tasks:
        grouped.setdefault(task_types.get(task, UNKNOWN_TYPE), []).append(scores.get(task))
    return {task_type: mean_or_none(values) for task_type, values in grouped.items()}


def mean_task_type(means: Mapping[str, float | None]) -> float | None:
    """Mean (TaskType): mean of the per-type means, missing if any is missing."""
    return mean_or_none(means.values())


def average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, highest value first; tied values share the average of their ranks."""
    order = sorted(range(len(values)), key=lambda i: -values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        shared = (start + end) / 2 + 1
        for position in range(start, end + 1):
            ranks[order[position]] = shared
        start = end + 1
    return ranks


def min_ranks(values: Sequence[float]) -> list[int]:
    """1-based ranks, highest value first; tied values share the best (lowest) rank."""
    return [1 + sum(other > value for other in values) for value in values]


def borda_ranks(
    scores_by_model: Mapping[Any, Mapping[str, float | None]], tasks: Sequence[str]
) -> dict[Any, int]:
    """mteb's ``Rank (Borda)``: n_models - rank points per task, totals ranked (min on ties)."""
    models = list(scores_by_model)
    n_models = len(models)
    points = dict.fromkeys(models, 0.0)
    for task in tasks:
        present = [m for m in models if is_score(scores_by_model[m].get(task))]
        ranks = average_ranks([scores_by_model[m][task] for m in present])  # type: ignore[misc]
        for model, rank in zip(present, ranks, strict=True):
            points[model] += n_models - rank
    totals = [points[m] for m in models]
    return dict(zip(models, min_ranks(totals), strict=True))


# --- merging -------------------------------------------------------------------------------


def merge_results(results: Iterable[TaskResult], on_duplicate: str = "newest") -> list[TaskResult]:
    """One result per (model, revision, task, limit), in first-seen order.

    ``"newest"`` keeps the latest ``date`` (missing dates count as oldest; on equal dates
    the one seen last wins); ``"error"`` raises `DuplicateResultError` unless the
    duplicates are identical.
    """
    if on_duplicate not in DUPLICATE_POLICIES:
        raise ValueError(f"on_duplicate must be one of {DUPLICATE_POLICIES}, not {on_duplicate!r}")
    kept: dict[tuple[Any, ...], TaskResult] = {}
    for result in results:
        key = result.identity
        previous = kept.get(key)
        if previous is None:
            kept[key] = result
        elif on_duplicate == "error":
            if previous != result:
                model, revision, task, limit = key
                limit_note = "" if limit is None else f" (limit {limit})"
                raise DuplicateResultError(
                    f"{task} for {model}@{revision}{limit_note} found twice with different "
                    f"content: {previous.source or '?'} and {result.source or '?'}"
                )
        elif _date_key(result) >= _date_key(previous):
            kept[key] = result
    return list(kept.values())


def _date_key(result: TaskResult) -> float:
    return -math.inf if result.date is None or math.isnan(result.date) else result.date


def load_results(
    dirs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    on_duplicate: str = "newest",
    include_limited: bool = True,
) -> list[TaskResult]:
    """Read and merge results from several folders or files (shards, runs, models)."""
    results = [r for r in iter_results(dirs) if include_limited or not r.limited]
    return merge_results(results, on_duplicate)


# --- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelColumn:
    """One column of the table: a (model, revision, limit) and everything computed for it."""

    model_name: str
    model_revision: str
    limit: int | None
    label: str
    task_scores: Mapping[str, float | None]
    type_means: Mapping[str, float | None]
    mean_task_type: float | None
    custom_means: Mapping[str, float | None]
    rank: int = 0
    borda_rank: int = 0
    #: Tasks the model cannot take (its inputs lack a modality they need): shown as "n/a".
    not_applicable: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Leaderboard:
    benchmark: str
    types: tuple[str, ...]
    tasks_by_type: Mapping[str, tuple[str, ...]]
    custom_groups: tuple[str, ...]
    models: tuple[ModelColumn, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def tasks(self) -> tuple[str, ...]:
        return tuple(task for t in self.types for task in self.tasks_by_type[t])

    def column(self, label: str) -> ModelColumn:
        for model in self.models:
            if model.label == label:
                return model
        raise KeyError(f"no model column {label!r}; columns: {[m.label for m in self.models]}")


def custom_groups_for(
    benchmark: str | None, benchmarks: Mapping[str, Sequence[str]] | None
) -> dict[str, list[str]]:
    """The two extra task-mean columns MIEB(Multilingual) shows, when their tasks are known."""
    if benchmark != CUSTOM_GROUPS_BENCHMARK or not benchmarks:
        return {}
    return {
        column: list(benchmarks[source])
        for column, source in CUSTOM_GROUP_SOURCES.items()
        if source in benchmarks
    }


def _ordered_types(tasks: Sequence[str], task_types: Mapping[str, str]) -> list[str]:
    return ordered_types([task_types.get(t, UNKNOWN_TYPE) for t in tasks])


def _labels(keys: Sequence[tuple[str, str, int | None]]) -> dict[tuple[str, str, int | None], str]:
    revisions: dict[str, set[str]] = {}
    for name, revision, _ in keys:
        revisions.setdefault(name, set()).add(revision)
    labels = {}
    for key in keys:
        name, revision, limit = key
        label = name if len(revisions[name]) == 1 else f"{name}@{revision[:12]}"
        labels[key] = label if limit is None else f"{label} [limit {limit}]"
    return labels


def build_leaderboard(
    results: Iterable[TaskResult],
    *,
    tasks: Sequence[str] | None = None,
    task_types: Mapping[str, str] | None = None,
    benchmark: str | None = None,
    custom_groups: Mapping[str, Sequence[str]] | None = None,
    task_subsets: Mapping[str, Sequence[str]] | None = None,
    not_applicable: Mapping[str, Iterable[str]] | None = None,
) -> Leaderboard:
    """Aggregate merged results into a table.

    ``not_applicable``: model name -> tasks it cannot take (`pytest_mieb.results.model_meta`);
    their cells show "n/a" and count as missing in the means, as on mteb's leaderboard.

    ``tasks`` is the benchmark's task list (default: every task found in the results, and
    every task a model of the results cannot take);
    ``task_types`` maps task -> mteb type (default: the type stored in each result, else the
    packaged reference data); ``task_subsets`` the expected hf_subsets per task (default: the
    subsets each result holds); ``custom_groups`` extra plain task-mean columns by name.
    """
    results = list(results)
    types_map = _resolve_types(results, task_types)
    if tasks is None:
        shown = {r.model_name for r in results}
        na = (t for m, ts in (not_applicable or {}).items() if m in shown for t in ts)
        tasks = _tasks_in_reference_order([*(r.task_name for r in results), *na])
    tasks = list(dict.fromkeys(tasks))
    groups = dict(custom_groups or {})
    subsets = task_subsets or {}
    notes = []
    outside = sorted({r.task_name for r in results} - set(tasks))
    if outside:
        notes.append(f"{len(outside)} task(s) not in the benchmark were left out: {outside}")

    by_model: dict[tuple[str, str, int | None], dict[str, float | None]] = {}
    for result in results:
        key = (result.model_name, result.model_revision, result.limit)
        by_model.setdefault(key, {})[result.task_name] = task_score(
            result.scores, subsets.get(result.task_name)
        )
    labels = _labels(list(by_model))
    borda = borda_ranks(by_model, tasks)
    columns = []
    for key, scores in by_model.items():
        means = type_means(scores, tasks, types_map)
        columns.append(
            ModelColumn(
                model_name=key[0],
                model_revision=key[1],
                limit=key[2],
                label=labels[key],
                task_scores={t: scores.get(t) for t in tasks},
                type_means=means,
                mean_task_type=mean_task_type(means),
                custom_means={
                    name: mean_or_none(scores.get(t) for t in group_tasks)
                    for name, group_tasks in groups.items()
                },
                borda_rank=borda[key],
                not_applicable=frozenset((not_applicable or {}).get(key[0], ())),
            )
        )
    columns.sort(key=lambda c: (c.mean_task_type is None, -(c.mean_task_type or 0.0), c.label))
    ranked = tuple(
        dataclasses.replace(column, rank=position) for position, column in enumerate(columns, 1)
    )
    types = _ordered_types(tasks, types_map)
    return Leaderboard(
        benchmark=benchmark or "results",
        types=tuple(types),
        tasks_by_type={
            t: tuple(task for task in tasks if types_map.get(task, UNKNOWN_TYPE) == t)
            for t in types
        },
        custom_groups=tuple(groups),
        models=ranked,
        notes=tuple(notes),
    )


def _resolve_types(
    results: Sequence[TaskResult], given: Mapping[str, str] | None
) -> dict[str, str]:
    from pytest_mieb.results import published as reference

    resolved = dict(reference.task_types())
    resolved.update({r.task_name: r.task_type for r in results if r.task_type})
    resolved.update(given or {})
    return resolved


def _tasks_in_reference_order(names: Iterable[str]) -> list[str]:
    from pytest_mieb.results import published as reference

    position = {task: i for i, task in enumerate(reference.task_order())}
    unique = set(names)
    return sorted(unique, key=lambda t: (position.get(t, len(position)), t))
