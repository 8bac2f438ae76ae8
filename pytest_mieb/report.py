"""End-of-session reporting: the leaderboard table and files, reference deviations.

Works from the result records that items attach as `user_properties`, so the same code
runs serially and on the xdist controller.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pytest_mieb.options import Settings


def results_from_records(records: Sequence[str]) -> list[Any]:
    from pytest_mieb.results import result_from_json

    return [result_from_json(json.loads(r)) for r in records]


def published_reference(settings: Settings, results: Sequence[Any]) -> list[str]:
    """Models whose published scores join the table: --mieb-reference, else evaluated ones."""
    from pytest_mieb.reference import published_models

    known = set(published_models())
    if settings.reference:
        if settings.reference not in known:
            raise ValueError(
                f"--mieb-reference {settings.reference!r} has no published scores; "
                f"run `python -m pytest_mieb published` for the list"
            )
        return [settings.reference]
    return sorted({r.model_name for r in results} & known)


def reference_deviations(settings: Settings, results: Sequence[Any]) -> list[str]:
    """One line per task whose full-run score strays from the published score of its model."""
    from pytest_mieb.reference import deviations, published_models, reference_scores

    known = set(published_models())
    lines = []
    by_model: dict[str, dict[str, float]] = {}
    for r in results:
        if not r.limited and r.model_name in known:
            by_model.setdefault(r.model_name, {})[r.task_name] = r.main_score
    for model, run in sorted(by_model.items()):
        for d in deviations(run, reference_scores(model), settings.reference_threshold):
            lines.append(
                f"{model} {d.task}: {d.ours:.4f} vs published {d.published:.4f} "
                f"({d.diff:+.4f}, threshold {settings.reference_threshold})"
            )
    return lines


def leaderboard_text(settings: Settings, results: Sequence[Any]) -> str:
    from pytest_mieb.leaderboard import build_leaderboard, render_text, write_leaderboard
    from pytest_mieb.reference import published_results
    from pytest_mieb.suite import load_all_specs

    specs = load_all_specs()
    rows = list(results)
    for model in published_reference(settings, results):
        ran = {r.task_name for r in results}
        rows.extend(p for p in published_results(model) if p.task_name in ran)
    board = build_leaderboard(
        rows,
        task_types={name: spec.type for name, spec in specs.items()}
        | {r.task_name: r.task_type for r in results if r.task_type},
        task_subsets={name: list(spec.subsets) for name, spec in specs.items()},
    )
    if settings.leaderboard is not None:
        write_leaderboard(board, settings.leaderboard)
    return render_text(board)
