"""The packaged MIEB tasks, read straight from the suite TOML files (standard library only).

hubfarm runs under pytest-mieb's venv and under mteb's, so it does not import
`pytest_mieb`: it reads `suites/mieb/*.toml` with `tomllib`, applying `[defaults]` the way
the suite reader does (tables `params`, `dataset`, `columns`, `prompts` merged key by key).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO_ROOT = Path(__file__).resolve().parents[2]
SUITES_DIR = REPO_ROOT / "suites" / "mieb"
MERGED_TABLES = ("params", "dataset", "columns", "prompts")
LITE = "MIEB(lite)"


@dataclass(frozen=True)
class TaskInfo:
    """What hubfarm needs to know about one task."""

    name: str
    protocol: str
    loader: str
    category: str
    #: The hub repo the task reads (an aggregate: its sub-task's) and its pinned revision.
    repo: str
    revision: str
    eval_split: str
    train_split: str | None
    subsets: tuple[str, ...]
    columns: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    benchmarks: tuple[str, ...] = ()

    @property
    def lite(self) -> bool:
        return LITE in self.benchmarks

    @property
    def is_aggregate(self) -> bool:
        return bool(self.params.get("subtasks"))


def _merge(defaults: Mapping[str, Any], table: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**defaults, **table}
    for key in MERGED_TABLES:
        if key in defaults and key in table:
            merged[key] = {**defaults[key], **table[key]}
    return merged


@lru_cache(maxsize=4)
def _read(suites_dir: str) -> tuple[dict[str, TaskInfo], dict[str, tuple[str, ...]]]:
    tables: list[dict[str, Any]] = []
    benchmarks: dict[str, tuple[str, ...]] = {}
    for path in sorted(Path(suites_dir).glob("*.toml")):
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
        defaults = doc.get("defaults", {})
        tables.extend(_merge(defaults, t) for t in doc.get("task", []))
        for bench in doc.get("benchmark", []):
            benchmarks[bench["name"]] = tuple(bench.get("tasks", ()))
    member: dict[str, list[str]] = {}
    for bench, names in benchmarks.items():
        for name in names:
            member.setdefault(name, []).append(bench)
    tasks: dict[str, TaskInfo] = {}
    for t in tables:
        params = t.get("params", {})
        dataset = t["dataset"]
        subtasks = params.get("subtasks")
        if subtasks:
            dataset = subtasks[0]["dataset"]
        tasks[t["name"]] = TaskInfo(
            name=t["name"],
            protocol=t["protocol"],
            loader=t.get("loader", "default"),
            category=t.get("category", ""),
            repo=dataset["path"],
            revision=str(dataset["revision"]),
            eval_split=t.get("eval_split", "test"),
            train_split=t.get("train_split"),
            subsets=tuple(t.get("subsets", ("default",))),
            columns=t.get("columns", {}),
            params=params,
            benchmarks=tuple(member.get(t["name"], ())),
        )
    return tasks, benchmarks


def all_tasks(suites_dir: Path = SUITES_DIR) -> dict[str, TaskInfo]:
    """Every packaged MIEB task by name (the suite files' order)."""
    return dict(_read(str(suites_dir))[0])


def benchmark_tasks(name: str = LITE, suites_dir: Path = SUITES_DIR) -> tuple[str, ...]:
    return _read(str(suites_dir))[1][name]


def task_info(name: str, suites_dir: Path = SUITES_DIR) -> TaskInfo:
    tasks = all_tasks(suites_dir)
    try:
        return tasks[name]
    except KeyError:
        raise KeyError(f"no packaged MIEB task named {name!r}") from None


def tasks_of_repo(repo: str, suites_dir: Path = SUITES_DIR) -> list[TaskInfo]:
    """Every task reading `repo` (a mirror must serve them all)."""
    return [t for t in all_tasks(suites_dir).values() if t.repo == repo]
