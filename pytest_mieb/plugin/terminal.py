"""End-of-session reporting on the terminal: the leaderboard table and files, encoding progress.

What is shown is built in `pytest_mieb.results.summary` (from the result records that items
attach as `user_properties`, so the same code runs serially and on the xdist controller); the
functions here only bind the session's settings to it and write lines.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pytest_mieb.plugin.options import Settings
from pytest_mieb.results import summary
from pytest_mieb.results.summary import results_from_records

__all__ = [
    "TerminalProgress",
    "published_reference",
    "reference_deviations",
    "results_from_records",
    "session_board",
    "summary_lines",
]


def published_reference(settings: Settings, results: Sequence[Any]) -> list[str]:
    """Models whose published scores join the table (`pytest_mieb.results.summary`)."""
    return summary.published_reference(results, settings.reference)


def reference_deviations(settings: Settings, results: Sequence[Any]) -> list[str]:
    """One line per task whose score strays from the published one (`results.summary`)."""
    return summary.reference_deviations(results, settings.reference_threshold)


def session_board(
    settings: Settings,
    results: Sequence[Any],
    selected: Iterable[str] = (),
    takes: Mapping[str, frozenset[str]] | None = None,
) -> Any:
    """The session's `Leaderboard` (`pytest_mieb.results.summary`): the tasks a model cannot
    take among those that ran and the `selected` ones show as "n/a"; what a model takes comes
    from `takes` (known at collection) and its ``model_meta.json`` in the results folder."""
    from pytest_mieb.results.model_meta import read_model_meta

    known = {**(takes or {}), **read_model_meta(settings.results_dir)}
    return summary.session_board(results, settings.reference, known, selected)


def summary_lines(
    settings: Settings,
    results: Sequence[Any],
    selected: Iterable[str] = (),
    takes: Mapping[str, frozenset[str]] | None = None,
) -> Iterator[tuple[str, bool]]:
    """The leaderboard section as (line, is_error) pairs.

    A leaderboard file that cannot be written is one error line: the table, the result
    files and the items' outcomes stand regardless.
    """
    from pytest_mieb.results.leaderboard import write_leaderboard
    from pytest_mieb.results.render import render_text

    board = session_board(settings, results, selected, takes)
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
