"""Files written whole or not at all: a crash or a full disk never leaves half a result
file or half a leaderboard behind."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@functools.lru_cache(maxsize=1)
def _new_file_mode() -> int:
    """The mode a plain ``open(path, "w")`` would give (temp files are created 0600)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def _atomic_writer(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """A text handle whose content replaces ``path`` only once it is whole.

    The text goes to a temporary file in the same folder, is flushed to disk, then renamed
    over the target; a failure at any point removes the temporary file and leaves any
    previous file untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, renamed after close
        "w",
        encoding="utf-8",
        dir=target.parent,
        prefix=f".{target.name}.",
        suffix=".tmp",
        delete=False,
    )
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, _new_file_mode())
        os.replace(handle.name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(handle.name)
        raise


def write_json_atomic(path: str | os.PathLike[str], payload: Any) -> Path:
    """Write strict JSON (indent 2; a NaN or infinity is an error) atomically; returns the
    path. `result_to_json` has already turned undefined values into None."""
    text = json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False)
    with _atomic_writer(path) as handle:
        handle.write(text)
        handle.write("\n")
    return Path(path)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write text atomically; returns the path."""
    with _atomic_writer(path) as handle:
        handle.write(text)
    return Path(path)
