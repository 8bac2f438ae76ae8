"""``model_meta.json`` in a model's results folder: what the model takes, so that a leaderboard
built from the folder later shows "n/a" (not "-") for the tasks it could not take.

mteb writes a ``model_meta.json`` beside its results too; ours holds the model's name,
revision, ``modalities`` in mteb's words ("image", "text") and ``input_kinds`` in ours
("image", "text", "image+text"). Task result readers skip the file (it has no ``task_name``).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from pytest_mieb.results.atomic import write_text_atomic
from pytest_mieb.results.files import model_name_as_path, revision_as_path

FILENAME = "model_meta.json"


def write_model_meta(
    results_dir: str | os.PathLike[str], name: str, revision: str | None, kinds: Iterable[str]
) -> Path:
    kinds = sorted(set(kinds))
    folder = Path(results_dir) / model_name_as_path(name) / revision_as_path(revision)
    meta = {
        "name": name,
        "revision": revision,
        "modalities": sorted({part for kind in kinds for part in kind.split("+")}),
        "input_kinds": kinds,
    }
    return write_text_atomic(folder / FILENAME, json.dumps(meta, indent=2) + "\n")


def record_model_meta(
    results_dir: str | os.PathLike[str], name: str, revision: str | None, kinds: Iterable[str]
) -> None:
    """`write_model_meta` for a model that lacks some input kind (for any other model no task
    is n/a, so no file is needed). An unwritable folder costs the table its "n/a" cells ("-"
    instead), never a score."""
    from pytest_mieb.tasks.modalities import INPUT_KINDS

    kinds = frozenset(kinds)
    if set(INPUT_KINDS) <= kinds:
        return
    with contextlib.suppress(OSError):
        write_model_meta(results_dir, name, revision, kinds)


def read_model_meta(
    dirs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> dict[str, frozenset[str]]:
    """model name -> the input kinds it takes, from every ``model_meta.json`` under `dirs`."""
    if isinstance(dirs, (str, os.PathLike)):
        dirs = [dirs]
    found: dict[str, frozenset[str]] = {}
    for root in map(Path, dirs):
        if root.is_dir():
            files = sorted(root.rglob(FILENAME))
        else:
            files = [root] if root.name == FILENAME and root.is_file() else []
        for file in files:
            try:
                meta = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            kinds = meta.get("input_kinds")
            if kinds is None:
                mods = set(meta.get("modalities") or ())
                kinds = mods | ({"image+text"} if {"image", "text"} <= mods else set())
            if isinstance(meta.get("name"), str) and kinds:
                found[meta["name"]] = frozenset(kinds)
    return found


def not_applicable(
    takes: Mapping[str, Iterable[str]], tasks: Iterable[str]
) -> dict[str, frozenset[str]]:
    """model name -> the tasks among `tasks` it cannot take (tasks the index knows only)."""
    if not takes:
        return {}
    from pytest_mieb.tasks.modalities import not_applicable_tasks

    return {m: frozenset(t) for m, t in not_applicable_tasks(takes, list(tasks)).items() if t}
