"""Work the main process puts off until a moment when it would otherwise leave a core idle.

Importing scikit-learn and scipy takes about 0.45 s of one core. Done in the preload, that
time is spent while every other core waits; put off here, it runs in the parent process
of the first forked encoding (`pytest_mieb.embed.forked`), right after its children have
started, so the import and the first images' encoding share the cores.

Put-off work is only ever ahead of time: whoever needs its result does it again where it
is used (an import of a module already imported costs nothing), so work that never finds
a spare moment, or fails in one, is simply done (and reported) there.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

_put_off: list[Callable[[], object]] = []


def put_off(work: Callable[[], object]) -> None:
    """Run `work` at the next spare moment (`do_put_off_work`), after what is already put off."""
    _put_off.append(work)


def do_put_off_work() -> None:
    """Run what is put off, in order, each once; a failure is left to the code that needs it."""
    while _put_off:
        work = _put_off.pop(0)
        with contextlib.suppress(Exception):
            work()


def drop_put_off_work() -> None:
    """Forget what is put off (a session ends: its work is no one's any more)."""
    _put_off.clear()


def put_off_work() -> list[Callable[[], object]]:
    """What is put off now, in the order it will run."""
    return list(_put_off)
