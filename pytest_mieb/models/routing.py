"""Settling a bare hub id's adapter from the repository's files (never from what is cached).

`parse_model_id` routes a bare ``ORG/NAME`` by its id alone; an id it cannot place (not a
published model, not a laion OpenCLIP repo) is marked `ModelRef.by_files`, and the loader asks
here: a repository with ``open_clip_config.json`` and no ``config.json`` is an open_clip repo
(transformers cannot load it at all); any other goes to transformers. The answer depends only
on the repository at that revision, so the same id reaches the same adapter on every machine.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pytest_mieb import hub
from pytest_mieb.models.id_forms import ModelRef


def repo_files(repo: str, revision: str | None) -> frozenset[str] | None:
    """The files of `repo` at `revision`: the Hub's listing, or, when this run reads local
    files only, the files of its downloaded snapshot; None when neither can be read."""
    try:
        if hub.decide().local_only:
            from huggingface_hub import snapshot_download

            root = Path(snapshot_download(repo, revision=revision, local_files_only=True))
            return frozenset(p.relative_to(root).as_posix() for p in root.rglob("*"))
        from huggingface_hub import list_repo_files

        return frozenset(list_repo_files(repo, revision=revision))
    except Exception:  # unreachable, unknown repo or revision: the loader reports it
        return None


def is_open_clip_repo(files: frozenset[str] | None) -> bool:
    return files is not None and "open_clip_config.json" in files and "config.json" not in files


def settle_route(ref: ModelRef) -> ModelRef:
    """`ref` with its adapter settled (unchanged unless `ref.by_files`)."""
    if not ref.by_files:
        return ref
    backend = (
        "open_clip" if is_open_clip_repo(repo_files(ref.target, ref.revision)) else ref.backend
    )
    return replace(ref, backend=backend, by_files=False)
