"""hubfarm: small local mirrors of MIEB's Hugging Face datasets, in their real repo layouts.

For any packaged MIEB task (`suites/mieb/*.toml`), `write_mirror(task, root)` writes
`root/<org>/<name>/`: the files of the task's hub repo as the Hub holds them (parquet
shards under `data/` or per-config folders with README.md `configs:` / `dataset_info:`
YAML, root-level `corpus-/query-/qrels-` files of the BEIR copies, WebDataset tar shards
of the `wds_*` copies, …), with the repo's column names and feature types, filled with a
few dozen small synthetic rows (PIL-drawn 32-64 px pictures, short texts) and marked with
the pinned revision (`.mieb-revision`). Both pytest-mieb
(`load_task_data(spec, data_dir=root)`) and mteb (`metadata.dataset["path"] = mirror`)
read such a mirror exactly as they read the real repo.

Everything is deterministic given `rows` and `seed`. Only `datasets`, `pyarrow`, `PIL`,
`numpy` and `yaml` are needed (no pytest_mieb import), so mteb's venv can use it too.

    from hubfarm import write_mirror, write_mirrors, supported_tasks
    path = write_mirror("CIFAR10", "/tmp/mirror")          # /tmp/mirror/mteb/cifar10
    write_mirrors(supported_tasks(lite_only=True), "/tmp/mirror", rows=24)

Modules: `tasks` (suite reading), `schemas` (the repo -> family/schema table), `hub`
(layout writers), `draw` (pictures and texts), one module per layout family: `labelled`,
`wds`, `beir`, `vidore`, `pairs`, `imagecode`, `cvbench`, `sts`, `paired`, `multilingual`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from hubfarm import hub
from hubfarm.common import Context
from hubfarm.schemas import REPOS
from hubfarm.tasks import TaskInfo, all_tasks, benchmark_tasks, task_info, tasks_of_repo

DEFAULT_ROWS = 48
DEFAULT_IMAGE_SIZE = 32

__all__ = [
    "DEFAULT_ROWS",
    "REPOS",
    "TaskInfo",
    "lite_tasks",
    "mirror_path",
    "repo_of",
    "supported_tasks",
    "write_mirror",
    "write_mirrors",
    "write_repo",
]


def _name(task: Any) -> str:
    """A task name, from a name or any object with `.name` (e.g. a pytest-mieb TaskSpec)."""
    return task if isinstance(task, str) else str(task.name)


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """Digest of hubfarm's own sources: a mirror written by other code is rewritten."""
    import hashlib

    digest = hashlib.sha1()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _digest(schema: dict[str, Any]) -> str:
    import hashlib
    import json

    text = json.dumps(schema, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def repo_of(task: Any) -> str:
    """The hub repo (org/name) a task reads (an aggregate: its sub-task's)."""
    return task_info(_name(task)).repo


def mirror_path(task: Any, root: str | Path) -> Path:
    return Path(root) / repo_of(task)


def supported_tasks(*, lite_only: bool = False) -> list[str]:
    """Packaged MIEB tasks whose repo the farm can write (suite order)."""
    names = benchmark_tasks() if lite_only else list(all_tasks())
    infos = all_tasks()
    return [n for n in names if n in infos and infos[n].repo in REPOS]


def lite_tasks() -> list[str]:
    return supported_tasks(lite_only=True)


def write_repo(
    repo: str,
    root: str | Path,
    *,
    rows: int = DEFAULT_ROWS,
    seed: int = 0,
    image_size: int = DEFAULT_IMAGE_SIZE,
    force: bool = False,
) -> Path:
    """Write the mirror of hub repo `repo` under `root` (skipped when already current)."""
    if repo not in REPOS:
        raise KeyError(f"hubfarm has no schema for repo {repo!r}")
    if rows < 4:
        raise ValueError(f"rows must be at least 4, got {rows}")
    readers = tasks_of_repo(repo)
    if not readers:
        raise KeyError(f"no packaged MIEB task reads {repo!r}")
    schema = REPOS[repo]
    target = Path(root) / repo
    revision = readers[0].revision
    stamp = {
        "farm": _code_digest(),
        "rows": rows,
        "seed": seed,
        "image_size": image_size,
        "schema": _digest(schema),
    }
    if not force and hub.is_current(target, revision, stamp):
        return target
    hub.fresh(target)
    ctx = Context(
        repo=repo,
        root=target,
        revision=revision,
        rows=rows,
        seed=seed,
        tasks=readers,
        image_size=image_size,
        stamp=stamp,
    )
    module = importlib.import_module(f"hubfarm.{schema['family']}")
    module.write(ctx, schema)
    return target


def write_mirror(
    task: Any,
    root: str | Path,
    *,
    rows: int = DEFAULT_ROWS,
    seed: int = 0,
    image_size: int = DEFAULT_IMAGE_SIZE,
    force: bool = False,
) -> Path:
    """Write the mirror of `task`'s dataset (a task name or a TaskSpec) under `root`;
    returns `root/<org>/<name>`. Tasks sharing a repo share the mirror."""
    return write_repo(repo_of(task), root, rows=rows, seed=seed, image_size=image_size, force=force)


def write_mirrors(
    tasks: Iterable[Any],
    root: str | Path,
    *,
    rows: int = DEFAULT_ROWS,
    seed: int = 0,
    image_size: int = DEFAULT_IMAGE_SIZE,
    force: bool = False,
) -> dict[str, Path]:
    """Mirrors of every task's dataset (each repo written once); task name -> folder."""
    written: dict[str, Path] = {}
    paths: dict[str, Path] = {}
    for task in tasks:
        repo = repo_of(task)
        if repo not in written:
            written[repo] = write_repo(
                repo, root, rows=rows, seed=seed, image_size=image_size, force=force
            )
        paths[_name(task)] = written[repo]
    return paths
