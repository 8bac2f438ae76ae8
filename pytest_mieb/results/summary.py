"""What a session's end shows, built from its results: the table with published reference
columns, and the tasks whose score strays from the published one.

Works from the result records that items attach as `user_properties` (JSON text), so the same
code serves a serial run and the xdist controller. The plugin's terminal code only prints it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from pytest_mieb.results.aggregate import Leaderboard, build_leaderboard
from pytest_mieb.results.files import TaskResult, result_from_json


def results_from_records(records: Sequence[str]) -> list[TaskResult]:
    return [result_from_json(json.loads(r)) for r in records]


def published_reference(results: Sequence[TaskResult], reference: str | None) -> list[str]:
    """Models whose published scores join the table: ``reference`` (--mieb-reference), else
    the evaluated models that have published scores."""
    from pytest_mieb.results.published import published_models

    if reference:  # validated when the session starts
        return [reference]
    known = set(published_models())
    return sorted({r.model_name for r in results} & known)


def reference_deviations(results: Sequence[TaskResult], threshold: float) -> list[str]:
    """One line per task whose full-run score strays from the published score of its model by
    more than ``threshold``; a missing score of ours (NaN) always strays."""
    from pytest_mieb.results.published import deviations, published_models, reference_scores

    known = set(published_models())
    lines = []
    by_model: dict[str, dict[str, float]] = {}
    for r in results:
        if not r.limited and r.model_name in known:
            by_model.setdefault(r.model_name, {})[r.task_name] = r.main_score
    for model, run in sorted(by_model.items()):
        for d in deviations(run, reference_scores(model), threshold):
            lines.append(
                f"{model} {d.task}: {d.ours:.4f} vs published {d.published:.4f} "
                f"({d.diff:+.4f}, threshold {threshold})"
            )
    return lines


def session_board(
    results: Sequence[TaskResult],
    reference: str | None,
    takes: Mapping[str, Iterable[str]] | None = None,
    selected: Iterable[str] = (),
) -> Leaderboard:
    """The session's `Leaderboard`: its results, plus published reference columns limited to
    the tasks that ran; ``takes`` (model name -> input kinds) marks the tasks a model cannot
    take "n/a", among those that ran and the session's ``selected`` tasks (as the leaderboard
    command does among a benchmark's tasks)."""
    from pytest_mieb.results.model_meta import not_applicable
    from pytest_mieb.results.published import published_results
    from pytest_mieb.tasks.index import load_all_specs
    from pytest_mieb.tasks.splits import scored_subsets

    specs = load_all_specs()
    rows = list(results)
    for model in published_reference(results, reference):
        ran = {r.task_name for r in results}
        rows.extend(p for p in published_results(model) if p.task_name in ran)
    return build_leaderboard(
        rows,
        task_types={name: spec.type for name, spec in specs.items()}
        | {r.task_name: r.task_type for r in results if r.task_type},
        task_subsets={name: scored_subsets(spec) for name, spec in specs.items()},
        not_applicable=not_applicable(takes or {}, {r.task_name for r in rows} | set(selected)),
    )
