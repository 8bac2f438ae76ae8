"""Datasets prepared ahead of their tasks, by a background process.

The first `datasets.load_dataset` of a dataset downloads it (from the Hub) and converts it
into datasets' Arrow cache; every later load only opens the memory-mapped files. A run
used to pay that first load inside its task while the other cores sat idle. Here a forked
child, at the lowest CPU priority, runs given loads in order while the session works (the
plugin gives it the first task's, during the preload's imports: see
`MiebState._loads_ahead` for why only that one), so the task finds its dataset prepared.

Only the caches are shared (datasets and huggingface_hub lock what they write, so a task
that reaches a dataset the child is still preparing waits for it and then reads it). The
session still loads every dataset itself, through the same code, and reports every failure
itself: the child keeps quiet (output to the null device, progress bars off), skips what
fails, and dies with Ctrl-C.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from pytest_mieb.runtime import can_fork, start_forked


def prepare_in_background(loads: Sequence[Callable[[], object]]) -> Any | None:
    """Start the child that runs `loads` in order; the process, or None when there is
    nothing to load or forking is not available here."""
    if not loads or not can_fork():
        return None
    context = multiprocessing.get_context("fork")
    process = context.Process(
        target=_prepare, args=(list(loads),), daemon=True, name="pytest-mieb-data-ahead"
    )
    start_forked([process])
    return process


def stop(process: Any | None) -> None:
    """End the child if it still runs (the session is over; what it wrote stays valid:
    datasets renames a prepared dataset into place only when it is complete)."""
    if process is not None and process.is_alive():
        process.kill()
        process.join()


def _prepare(loads: list[Callable[[], object]]) -> None:
    gc.enable()  # forked while the session had it paused (its preload)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    with contextlib.suppress(OSError):
        os.nice(19)
    _quiet()
    for load in loads:
        with contextlib.suppress(Exception):  # the task's own load reports it
            load()


def _quiet() -> None:
    """Both the file descriptors and Python's streams (pytest's capture replaces the latter)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    with contextlib.suppress(Exception):
        import datasets

        datasets.disable_progress_bars()
