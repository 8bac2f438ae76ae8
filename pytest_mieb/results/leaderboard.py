"""Benchmark tables from result files, aggregated the way mteb's MIEB leaderboard does.

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

Numbers are shown as ``round(100 * score, 2)`` in the terminal, Markdown, CSV and HTML outputs;
the ``.json`` output keeps the 0-1 scores (6 decimals) and writes missing values as null.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_mieb.results.files import TaskResult, iter_results, write_text_atomic
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
) -> Leaderboard:
    """Aggregate merged results into a table.

    ``tasks`` is the benchmark's task list (default: every task found in the results);
    ``task_types`` maps task -> mteb type (default: the type stored in each result, else the
    packaged reference data); ``task_subsets`` the expected hf_subsets per task (default: the
    subsets each result holds); ``custom_groups`` extra plain task-mean columns by name.
    """
    results = list(results)
    types_map = _resolve_types(results, task_types)
    if tasks is None:
        tasks = _tasks_in_reference_order(r.task_name for r in results)
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


# --- rendering -----------------------------------------------------------------------------

Cell = str | int | float | None


def points(score: float | None) -> float | None:
    """The leaderboard's display value: round(100 * score, 2)."""
    return None if not is_score(score) else round(100 * score, 2)  # type: ignore[operator]


def table_rows(board: Leaderboard) -> tuple[list[str], list[list[Cell]]]:
    """Header and rows shared by every format: summary rows, then tasks grouped by type."""
    header = ["Type", "Task", *(m.label for m in board.models)]
    models = board.models
    rows: list[list[Cell]] = [
        ["", "Rank", *(m.rank for m in models)],
        ["", "Rank (Borda)", *(m.borda_rank for m in models)],
        ["", "Mean (TaskType)", *(points(m.mean_task_type) for m in models)],
    ]
    for group in board.custom_groups:
        rows.append(["", group, *(points(m.custom_means[group]) for m in models)])
    for task_type in board.types:
        count = len(board.tasks_by_type[task_type])
        rows.append(
            [task_type, f"Mean ({count} tasks)", *(points(m.type_means[task_type]) for m in models)]
        )
    for task_type in board.types:
        for task in board.tasks_by_type[task_type]:
            rows.append([task_type, task, *(points(m.task_scores[task]) for m in models)])
    return header, rows


def _as_text(cell: Cell, missing: str) -> str:
    if cell is None:
        return missing
    if isinstance(cell, float):
        return f"{cell:.2f}"
    return str(cell)


def render_text(board: Leaderboard, tablefmt: str = "simple") -> str:
    """The terminal table (tabulate); missing values are shown as ``-``."""
    from tabulate import tabulate

    header, rows = table_rows(board)
    body = [[_as_text(cell, "-") for cell in row] for row in rows]
    align = ["left", "left", *(["right"] * len(board.models))]
    table = tabulate(body, headers=header, tablefmt=tablefmt, disable_numparse=True, colalign=align)
    title = f"{board.benchmark}: {len(board.tasks)} tasks, {len(board.models)} model(s)"
    return "\n".join([title, "", table, *board.notes])


def render_markdown(board: Leaderboard) -> str:
    return render_text(board, tablefmt="github") + "\n"


def render_csv(board: Leaderboard) -> str:
    header, rows = table_rows(board)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_as_text(cell, "") for cell in row] for row in rows)
    return buffer.getvalue()


def _raw(score: float | None) -> float | None:
    return round(score, 6) if is_score(score) else None  # type: ignore[arg-type]


def leaderboard_to_json(board: Leaderboard) -> dict[str, Any]:
    """Structured form: 0-1 scores rounded to 6 decimals, missing as None."""
    return {
        "benchmark": board.benchmark,
        "scale": "0-1",
        "types": list(board.types),
        "tasks": [
            {"task": task, "type": t} for t in board.types for task in board.tasks_by_type[t]
        ],
        "custom_groups": list(board.custom_groups),
        "models": [
            {
                "label": m.label,
                "model_name": m.model_name,
                "model_revision": m.model_revision,
                "limit": m.limit,
                "rank": m.rank,
                "borda_rank": m.borda_rank,
                "mean_task_type": _raw(m.mean_task_type),
                "custom_means": {k: _raw(v) for k, v in m.custom_means.items()},
                "type_means": {k: _raw(m.type_means[k]) for k in board.types},
                "task_scores": {k: _raw(v) for k, v in m.task_scores.items()},
            }
            for m in board.models
        ],
        "notes": list(board.notes),
    }


def render_json(board: Leaderboard) -> str:
    return json.dumps(leaderboard_to_json(board), indent=2, allow_nan=False) + "\n"


_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
            "#ff9da7", "#9c755f", "#bab0ac")  # fmt: skip

_HTML_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.4rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin-top: 1.5rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; }
th { background: #f4f4f4; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.summary td { font-weight: 600; background: #fafafa; }
tr.typemean td { background: #f0f5fb; }
.notes { color: #666; font-size: 0.85rem; }
"""


def _bar_chart_svg(board: Leaderboard) -> str:
    """Grouped horizontal bars: per-type means (and Mean (TaskType)) for every model."""
    groups = [("Mean (TaskType)", [m.mean_task_type for m in board.models])]
    groups += [(t, [m.type_means[t] for m in board.models]) for t in board.types]
    n_models = max(len(board.models), 1)
    bar, gap, label_width, plot_width = 14, 10, 230, 420
    group_height = n_models * bar + gap
    legend_height = 18 * n_models + 10
    height = len(groups) * group_height + legend_height + 20
    width = label_width + plot_width + 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="per-type means per model">'
    ]
    y = 10
    for name, values in groups:
        parts.append(
            f'<text x="{label_width - 8}" y="{y + group_height / 2}" text-anchor="end" '
            f'font-size="12" dominant-baseline="middle">{html.escape(name)}</text>'
        )
        for index, value in enumerate(values):
            top = y + index * bar
            shown = points(value)
            colour = _PALETTE[index % len(_PALETTE)]
            if shown is None:
                parts.append(
                    f'<text x="{label_width + 4}" y="{top + bar - 3}" font-size="10" '
                    f'fill="#888">n/a</text>'
                )
                continue
            length = max(0.0, min(shown, 100.0)) / 100 * plot_width
            parts.append(
                f'<rect x="{label_width}" y="{top}" width="{length:.1f}" height="{bar - 2}" '
                f'fill="{colour}"><title>{html.escape(board.models[index].label)}: '
                f"{shown:.2f}</title></rect>"
            )
            parts.append(
                f'<text x="{label_width + length + 4:.1f}" y="{top + bar - 3}" '
                f'font-size="10">{shown:.2f}</text>'
            )
        y += group_height
    y += 10
    for index, model in enumerate(board.models):
        colour = _PALETTE[index % len(_PALETTE)]
        parts.append(f'<rect x="{label_width}" y="{y}" width="12" height="12" fill="{colour}"/>')
        parts.append(
            f'<text x="{label_width + 18}" y="{y + 10}" font-size="12">'
            f"{html.escape(model.label)}</text>"
        )
        y += 18
    parts.append("</svg>")
    return "\n".join(parts)


def render_html(board: Leaderboard) -> str:
    """A self-contained page: inline CSS and an inline SVG chart, no scripts, no CDN."""
    header, rows = table_rows(board)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        css = "summary" if row[0] == "" else "typemean" if str(row[1]).startswith("Mean (") else ""
        cells = [f"<td>{html.escape(str(row[0]))}</td>", f"<td>{html.escape(str(row[1]))}</td>"]
        cells += [f'<td class="num">{html.escape(_as_text(c, "–"))}</td>' for c in row[2:]]
        body.append(f'<tr class="{css}">' + "".join(cells) + "</tr>")
    title = html.escape(f"{board.benchmark} leaderboard")
    notes = "".join(f"<p class='notes'>{html.escape(n)}</p>" for n in board.notes)
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{title}</title>\n<style>{_HTML_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n<p>Scores are round(100 × score, 2); – means missing.</p>\n"
        f"{_bar_chart_svg(board)}\n<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + f"\n</tbody>\n</table>\n{notes}\n</body>\n</html>\n"
    )


RENDERERS = {
    ".md": render_markdown,
    ".csv": render_csv,
    ".json": render_json,
    ".html": render_html,
    ".htm": render_html,
    ".txt": lambda board: render_text(board) + "\n",
}


def write_leaderboard(board: Leaderboard, path: str | os.PathLike[str]) -> Path:
    """Write the table in the format its extension names (.md .csv .json .html .txt)."""
    target = Path(path)
    renderer = RENDERERS.get(target.suffix.lower())
    if renderer is None:
        known = ", ".join(sorted(RENDERERS))
        raise ValueError(f"unknown leaderboard format {target.suffix!r} for {target}; use {known}")
    return write_text_atomic(target, renderer(board))


# --- front doors ---------------------------------------------------------------------------


def render_from_dirs(
    dirs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    benchmark: str | None = None,
    *,
    benchmarks: Mapping[str, Any] | None = None,
    tasks: Sequence[str] | None = None,
    task_types: Mapping[str, str] | None = None,
    task_subsets: Mapping[str, Sequence[str]] | None = None,
    on_duplicate: str = "newest",
    include_limited: bool = True,
    published: Sequence[str] = (),
) -> str:
    """Read result folders, build the table, write it to ``out`` (one path or several, format
    by extension) and return the terminal table.

    The task list is ``tasks`` if given, else ``benchmarks[benchmark]`` (task lists, or the
    ``Benchmark`` objects of ``pytest_mieb.tasks.suites.load_benchmarks()``), else the packaged MIEB
    definitions for ``benchmark``, else every task found. ``published`` adds the packaged
    published scores of those models as extra columns, labelled ``(published)``.
    """
    from pytest_mieb.results import published as reference

    results = load_results(dirs, on_duplicate, include_limited)
    for model in published:
        results.extend(reference.published_results(model))
    known = task_lists(benchmarks) if benchmarks is not None else reference.benchmark_tasks()
    if tasks is None and benchmark is not None:
        if benchmark not in known:
            raise KeyError(f"unknown benchmark {benchmark!r}; known: {sorted(known)}")
        tasks = known[benchmark]
    board = build_leaderboard(
        results,
        tasks=tasks,
        task_types=task_types,
        benchmark=benchmark,
        custom_groups=custom_groups_for(benchmark, known),
        task_subsets=task_subsets,
    )
    outputs = [] if out is None else [out] if isinstance(out, (str, os.PathLike)) else list(out)
    for path in outputs:
        write_leaderboard(board, path)
    return render_text(board)


def task_lists(benchmarks: Mapping[str, Any]) -> dict[str, list[str]]:
    """{name: [tasks]} from task lists or from objects with a ``tasks`` attribute."""
    return {name: list(getattr(b, "tasks", b)) for name, b in benchmarks.items()}
