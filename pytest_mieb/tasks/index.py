"""Every task and benchmark of a set of suite paths, read once and then reused.

The CLI, the session (benchmark markers), the terminal summary and the leaderboard each
need "all tasks" or "all benchmarks"; they share one index per set of suite paths instead
of rereading every suite file. An edited suite file (new modification time) is read again.
Collection does not go through here: it reads each suite file as pytest finds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pytest_mieb.tasks.spec import TaskSpec
from pytest_mieb.tasks.suites import Benchmark, load_suites, packaged_suites_dir, suite_paths


@dataclass(frozen=True)
class TaskIndex:
    """Tasks and benchmarks by name, in the suite files' order."""

    specs: Mapping[str, TaskSpec]
    benchmarks: Mapping[str, Benchmark]


def task_index(paths: Iterable[Path] | None = None) -> TaskIndex:
    """The index of the given suite files and directories (default: the packaged suites)."""
    files = suite_paths(paths if paths is not None else [packaged_suites_dir()])
    return _index(tuple((f, f.stat().st_mtime_ns) for f in files))


@lru_cache(maxsize=16)
def _index(files: tuple[tuple[Path, int], ...]) -> TaskIndex:
    suites = load_suites(f for f, _ in files)
    return TaskIndex(
        specs={t.name: t for s in suites for t in s.tasks},
        benchmarks={b.name: b for s in suites for b in s.benchmarks},
    )


def load_all_specs(paths: Iterable[Path] | None = None) -> dict[str, TaskSpec]:
    """Every task of the given suite paths (default: the packaged suites), by name."""
    return dict(task_index(paths).specs)


def load_benchmarks(paths: Iterable[Path] | None = None) -> dict[str, Benchmark]:
    """Every benchmark of the given suite paths (default: the packaged suites), by name."""
    return dict(task_index(paths).benchmarks)
