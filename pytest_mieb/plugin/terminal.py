"""End-of-session reporting: the leaderboard table and files, reference deviations.

Works from the result records that items attach as `user_properties`, so the same code
runs serially and on the xdist controller.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

from pytest_mieb.plugin.options import Settings


def results_from_records(records: Sequence[str]) -> list[Any]:
    from pytest_mieb.results.files import result_from_json

    return [result_from_json(json.loads(r)) for r in records]


def published_reference(settings: Settings, results: Sequence[Any]) -> list[str]:
    """Models whose published scores join the table: --mieb-reference, else evaluated ones."""
    from pytest_mieb.results.published import published_models

    if settings.reference:  # validated when the session starts
        return [settings.reference]
    known = set(published_models())
    return sorted({r.model_name for r in results} & known)


def reference_deviations(settings: Settings, results: Sequence[Any]) -> list[str]:
    """One line per task whose full-run score strays from the published score of its model."""
    from pytest_mieb.results.published import deviations, published_models, reference_scores

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


def session_board(settings: Settings, results: Sequence[Any]) -> Any:
    """The session's `Leaderboard`: its results, plus published reference columns."""
    from pytest_mieb.results.leaderboard import build_leaderboard
    from pytest_mieb.results.published import published_results
    from pytest_mieb.tasks.index import load_all_specs

    specs = load_all_specs()
    rows = list(results)
    for model in published_reference(settings, results):
        ran = {r.task_name for r in results}
        rows.extend(p for p in published_results(model) if p.task_name in ran)
    return build_leaderboard(
        rows,
        task_types={name: spec.type for name, spec in specs.items()}
        | {r.task_name: r.task_type for r in results if r.task_type},
        task_subsets={name: list(spec.subsets) for name, spec in specs.items()},
    )


def summary_lines(settings: Settings, results: Sequence[Any]) -> Iterator[tuple[str, bool]]:
    """The leaderboard section as (line, is_error) pairs.

    A leaderboard file that cannot be written is one error line: the table, the result
    files and the items' outcomes stand regardless.
    """
    from pytest_mieb.results.leaderboard import render_text, write_leaderboard

    board = session_board(settings, results)
    yield render_text(board), False
    if settings.leaderboard is not None:
        try:
            write_leaderboard(board, settings.leaderboard)
        except OSError as exc:
            yield f"could not write the leaderboard to {settings.leaderboard}: {exc}", True
        else:
            yield f"leaderboard written to {settings.leaderboard}", False


class TerminalProgress:
    """Encoding progress for long encodes, a line every `every` seconds, on the terminal.

    Short encodes print nothing; xdist workers have no terminal and get no progress lines.
    """

    def __init__(self, terminal: Any, every: float = 10.0) -> None:
        self.terminal = terminal
        self.every = every
        self._started: dict[str, float] = {}
        self._shown: dict[str, float] = {}

    def __call__(self, key: str, done: int, total: int) -> None:
        now = time.monotonic()
        start = self._started.setdefault(key, now)
        last = self._shown.get(key, start)
        finished = done >= total
        if now - last >= self.every or (finished and key in self._shown):
            rate = done / max(now - start, 1e-9)
            self.terminal.write_line(f"  encoding {key}: {done}/{total} ({rate:.0f}/s)", flush=True)
            self._shown[key] = now
        if finished:
            self._started.pop(key, None)
            self._shown.pop(key, None)
