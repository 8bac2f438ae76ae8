"""Read suite files (TOML) into `TaskSpec`s and benchmark definitions.

A suite file holds `[[task]]` tables, optionally a `[defaults]` table whose keys every task
of the file inherits (`params` and `dataset` are merged key by key), and `[[benchmark]]`
tables (`name`, `marker`, `tasks`). A task's `params` are checked against its protocol's
entry in `pytest_mieb.tasks.protocols` (unknown keys and wrong types are refused, so a typo
never silently falls back to a default); params left out take the protocol's defaults.
Only the standard library is used here, so collection stays cheap.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from pytest_mieb.tasks.protocols import PROTOCOLS, check_params
from pytest_mieb.tasks.spec import DatasetRef, TaskSpec

MERGED_TABLES = ("params", "dataset", "columns", "prompts")
TASK_KEYS = {
    "name", "type", "protocol", "dataset", "eval_split", "main_score", "loader", "category",
    "modalities", "train_split", "subsets", "languages", "columns", "params", "prompts",
    "eval_size", "notes", "markers", "min_score",
}  # fmt: skip


class SuiteError(ValueError):
    """A suite file that cannot be read as tasks; the message names file and task."""


@dataclass(frozen=True)
class Benchmark:
    name: str
    marker: str
    tasks: tuple[str, ...]


@dataclass(frozen=True)
class Suite:
    path: Path
    tasks: tuple[TaskSpec, ...]
    benchmarks: tuple[Benchmark, ...]


def packaged_suites_dir() -> Path:
    """The suites shipped with the plugin: inside the wheel, or the checkout's `suites/`."""
    here = Path(__file__).resolve().parent.parent  # the pytest_mieb package
    for candidate in (here / "suites", here.parent / "suites"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("pytest-mieb's packaged suites are missing; reinstall the package")


def suite_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.toml") if p.is_file())


def is_suite_document(doc: Mapping[str, Any]) -> bool:
    return isinstance(doc.get("task"), list) or isinstance(doc.get("benchmark"), list)


@lru_cache(maxsize=256)
def _read_toml(path: Path, mtime_ns: int) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return _read_toml(path, path.stat().st_mtime_ns)
    except tomllib.TOMLDecodeError as exc:
        raise SuiteError(f"{path}: not valid TOML: {exc}") from None


def load_suite_file(path: str | Path) -> Suite:
    path = Path(path).resolve()
    doc = read_toml(path)
    defaults = doc.get("defaults", {})
    tasks = tuple(_spec(path, _merge(defaults, table)) for table in doc.get("task", []))
    benchmarks = tuple(
        Benchmark(name=b["name"], marker=b.get("marker", ""), tasks=tuple(b.get("tasks", ())))
        for b in doc.get("benchmark", [])
    )
    return Suite(path=path, tasks=tasks, benchmarks=benchmarks)


def _merge(defaults: Mapping[str, Any], table: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**defaults, **table}
    for key in MERGED_TABLES:
        if key in defaults and key in table:
            merged[key] = {**defaults[key], **table[key]}
    if "markers" in defaults and "markers" in table:
        merged["markers"] = list(dict.fromkeys([*defaults["markers"], *table["markers"]]))
    return merged


def _spec(path: Path, table: dict[str, Any]) -> TaskSpec:
    name = table.get("name", "<unnamed>")
    where = f"{path} task {name!r}"
    unknown = set(table) - TASK_KEYS
    if unknown:
        raise SuiteError(f"{where}: unknown keys {sorted(unknown)}")
    missing = [k for k in ("name", "type", "protocol", "dataset", "main_score") if k not in table]
    if missing:
        raise SuiteError(f"{where}: missing required keys {missing}")
    if table["protocol"] not in PROTOCOLS:
        raise SuiteError(
            f"{where}: unknown protocol {table['protocol']!r}; known: {', '.join(PROTOCOLS)}"
        )
    try:
        check_params(table["protocol"], table.get("params", {}))
    except ValueError as exc:
        raise SuiteError(f"{where}: {exc}") from None
    ds = table["dataset"]
    if "path" not in ds or "revision" not in ds:
        raise SuiteError(f"{where}: dataset needs both `path` and a pinned `revision`")
    subsets = tuple(table.get("subsets", ("default",)))
    languages = {s: tuple(v) for s, v in table.get("languages", {}).items()}
    prompts = table.get("prompts", {})
    return TaskSpec(
        name=table["name"],
        type=table["type"],
        protocol=table["protocol"],
        dataset=DatasetRef(
            path=ds["path"],
            revision=str(ds["revision"]),
            gated=bool(ds.get("gated", False)),
            trust_remote_code=bool(ds.get("trust_remote_code", False)),
        ),
        eval_split=table.get("eval_split", "test"),
        main_score=table["main_score"],
        loader=table.get("loader", "default"),
        category=table.get("category", ""),
        modalities=tuple(table.get("modalities", ())),
        train_split=table.get("train_split"),
        subsets=subsets,
        languages=languages,
        columns=table.get("columns", {}),
        params=table.get("params", {}),
        prompts=prompts,
        sizes={"eval": table["eval_size"]} if "eval_size" in table else {},
        notes=tuple(table.get("notes", ())),
        markers=tuple(table.get("markers", ())),
        min_scores=_min_scores(where, table.get("min_score")),
        source=str(path),
    )


def _min_scores(where: str, value: Any) -> dict[str, float]:
    """`min_score = 0.8` (main score) or `min_score = {accuracy = 0.8, f1 = 0.7}`."""
    if value is None:
        return {}
    if isinstance(value, (int, float)):
        return {"main_score": float(value)}
    if isinstance(value, dict) and all(isinstance(v, (int, float)) for v in value.values()):
        return {str(k): float(v) for k, v in value.items()}
    raise SuiteError(f"{where}: min_score must be a number or a table of numbers")


def suite_paths(paths: Iterable[Path]) -> list[Path]:
    """The files the given paths name: directories expanded to their `*.toml`, resolved."""
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        files.extend(suite_files(p) if p.is_dir() else [p])
    return [f.resolve() for f in files]


def load_suites(paths: Iterable[Path]) -> list[Suite]:
    """Every suite document among the given files and directories, read afresh (for the
    shared, read-once view see `pytest_mieb.tasks.index`)."""
    files = suite_paths(paths)
    return [load_suite_file(f) for f in files if is_suite_document(read_toml(f))]
