"""What a loaded model *is*: its revision and a fingerprint that embedding caches key on.

A fingerprint must change whenever the embeddings could: other weights, another
preprocessing, other prompts, another dtype. Hub snapshots are immutable per commit, so a
commit hash stands for their files; local files can change under the same path, so their
bytes are hashed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

NO_REVISION = "no_revision_available"
_SNAPSHOT = re.compile(r"(?:^|[\\/])snapshots[\\/]([0-9a-f]{40})(?:[\\/]|$)")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".npz")
_CHUNK = 1 << 22


def commit_from_path(path: str | os.PathLike[str] | None) -> str | None:
    """The commit hash of a Hugging Face cache snapshot path (``.../snapshots/<sha>/...``)."""
    if not path:
        return None
    found = _SNAPSHOT.search(str(path))
    return found.group(1) if found else None


def pick_revision(requested: str | None, *paths: str | os.PathLike[str] | None) -> str:
    """The pinned revision if it is a commit, else the snapshot's commit, else the request.

    A branch or tag name ("main", "v1.0") moves; the commit it resolved to does not, so
    the commit wins when the files came from a cache snapshot.
    """
    if requested and _COMMIT.match(requested):
        return requested
    for path in paths:
        commit = commit_from_path(path)
        if commit:
            return commit
    return requested or NO_REVISION


def hash_file(path: str | os.PathLike[str], digest: Any | None = None) -> str:
    """sha256 of a file's bytes, read in chunks (weights can be gigabytes)."""
    h = digest or hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def hash_files(paths: Iterable[str | os.PathLike[str]]) -> str:
    """One digest over (file name, bytes) of each file, in sorted order."""
    h = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        h.update(path.name.encode() + b"\0")
        h.update(hash_file(path).encode())
    return h.hexdigest()


def directory_files(directory: str | os.PathLike[str]) -> list[Path]:
    """The regular, non-hidden files at the top of a model directory."""
    root = Path(directory)
    return sorted(p for p in root.iterdir() if p.is_file() and not p.name.startswith("."))


def content_identity(location: str | os.PathLike[str], revision: str) -> str:
    """A commit hash when there is one, else a hash of the files' bytes.

    `location` is a directory (all its top-level files: weights, config, tokenizer,
    preprocessing) or a single checkpoint file.
    """
    if _COMMIT.match(revision):
        return f"commit:{revision}"
    path = Path(location)
    files = directory_files(path) if path.is_dir() else [path]
    return f"sha256:{hash_files(files)}"


def fingerprint(parts: Mapping[str, Any]) -> str:
    """A stable hex digest of JSON-able parts (keys sorted; see `_plain` for the rest)."""
    blob = json.dumps(parts, sort_keys=True, default=_plain, ensure_ascii=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _plain(value: Any) -> Any:
    """Enums by value, sets sorted, paths and anything else by `str`."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(map(str, value))
    return str(value)
