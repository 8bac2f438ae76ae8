"""`--mieb-opt VALUE` and `--mieb-opt=VALUE` must mean the same run.

pytest picks the rootdir and the ini file from the command line before any plugin's
options are known (pytest issues #1435, #8846): in `--mieb-data-dir DIR` it takes the
existing path DIR for a test path, so the rootdir moves to a common ancestor, the
project's ini file (and its `testpaths`) is lost and the whole project gets collected.
`--mieb-data-dir=DIR` is one unknown token and does no harm.

So when our options are written as two tokens with a value that is an existing path, the
plugin runs pytest again (public `pytest.main`) on the `--opt=VALUE` spelling, before the
first run has configured or printed anything. PYTEST_ADDOPTS, which pytest puts in front
of the command line, is rewritten the same way for that run.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ADDOPTS = "PYTEST_ADDOPTS"

#: Argument lists being run again right now: never run the same one again inside itself.
_RERUNNING: set[tuple[tuple[str, ...], str]] = set()


def joined(args: Sequence[str], value_options: frozenset[str], base: Path) -> list[str] | None:
    """`args` with `--opt VALUE` joined into `--opt=VALUE` for our value-taking options,
    or None when no VALUE is an existing path (then pytest's rootdir is not affected).

    A VALUE that starts with "-" is left alone (argparse refuses it, as it should), and
    nothing after a bare "--" is an option.
    """
    out: list[str] = []
    harmful = False
    tokens = iter(enumerate(args))
    for index, token in tokens:
        if token == "--":
            out.extend(args[index:])
            break
        following = args[index + 1] if index + 1 < len(args) else None
        if token in value_options and following is not None and not following.startswith("-"):
            out.append(f"{token}={following}")
            harmful = harmful or (base / following).exists()
            next(tokens)
            continue
        out.append(token)
    return out if harmful else None


def rewritten(
    args: Sequence[str], addopts: str, value_options: frozenset[str], base: Path
) -> tuple[list[str], str] | None:
    """(args, PYTEST_ADDOPTS) to run instead, or None when both are fine as they are."""
    new_args = joined(args, value_options, base)
    env_tokens = shlex.split(addopts)
    new_env = joined(env_tokens, value_options, base)
    if new_args is None and new_env is None:
        return None
    return (
        new_args if new_args is not None else list(args),
        shlex.join(new_env) if new_env is not None else addopts,
    )


@contextmanager
def addopts_set_to(value: str) -> Iterator[None]:
    """PYTEST_ADDOPTS holds `value` inside the block (xdist workers inherit it), then the
    previous value (or none) again."""
    previous = os.environ.get(ADDOPTS)
    if value:
        os.environ[ADDOPTS] = value
    else:
        os.environ.pop(ADDOPTS, None)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(ADDOPTS, None)
        else:
            os.environ[ADDOPTS] = previous


@contextmanager
def rerunning(key: tuple[tuple[str, ...], str]) -> Iterator[bool]:
    """Yields False when `key` is already being run again further up (no endless loop)."""
    if key in _RERUNNING:
        yield False
        return
    _RERUNNING.add(key)
    try:
        yield True
    finally:
        _RERUNNING.discard(key)
