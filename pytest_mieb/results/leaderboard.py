"""The leaderboard's front door: result folders in, the terminal table out, files written in
the format their suffix names.

What the table holds and how it is aggregated: `pytest_mieb.results.aggregate`; the formats:
`pytest_mieb.results.render` (text, Markdown, CSV, JSON) and `pytest_mieb.results.html_page`.
`python -m pytest_mieb leaderboard` (`pytest_mieb.cli`) is a thin parser over `render_from_dirs`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_mieb.results.aggregate import (
    Leaderboard,
    build_leaderboard,
    custom_groups_for,
    load_results,
)
from pytest_mieb.results.files import write_text_atomic
from pytest_mieb.results.html_page import render_html
from pytest_mieb.results.render import render_csv, render_json, render_markdown, render_text

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
