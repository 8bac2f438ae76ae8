"""The leaderboard as text: terminal table, Markdown, CSV and JSON.

Numbers are shown as ``round(100 * score, 2)`` in the terminal, Markdown, CSV (and HTML, see
`pytest_mieb.results.html_page`) outputs; the JSON output keeps the 0-1 scores (6 decimals) and
writes missing values as null. Every format shares the rows of `table_rows`.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from pytest_mieb.results.aggregate import Leaderboard
from pytest_mieb.results.task_score import is_score

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


def cell_text(cell: Cell, missing: str) -> str:
    """A cell as shown: floats with 2 decimals, None as ``missing``."""
    if cell is None:
        return missing
    if isinstance(cell, float):
        return f"{cell:.2f}"
    return str(cell)


def render_text(board: Leaderboard, tablefmt: str = "simple") -> str:
    """The terminal table (tabulate); missing values are shown as ``-``."""
    from tabulate import tabulate

    header, rows = table_rows(board)
    body = [[cell_text(cell, "-") for cell in row] for row in rows]
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
    writer.writerows([cell_text(cell, "") for cell in row] for row in rows)
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
