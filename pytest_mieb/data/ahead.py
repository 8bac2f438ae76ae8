"""Datasets prepared ahead of their tasks, by a background process.

The first `datasets.load_dataset` of a dataset downloads it (from the Hub) and converts it
into datasets' Arrow cache; every later load only opens the memory-mapped files. A run
used to pay that first load inside its task while the other cores sat idle. Here a forked
child, at the lowest CPU priority, runs given loads in order while the session loads its
models (the plugin gives it the run's tasks, in order: see `MiebState._loads_ahead`), so
the tasks find their datasets prepared. When the session is ready to run them, it lets
the child finish the load under way and start no other (`Preparing.finish_current_load`):
beside the tasks, the child would slow them more than it saves them.

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pytest_mieb.runtime import can_fork, start_forked


@dataclass(frozen=True)
class Preparing:
    """The child preparing datasets, and the flag that tells it to take no further load."""

    process: Any
    _no_more: Any

    @property
    def takes_more_loads(self) -> bool:
        return not self._no_more.is_set()

    def finish_current_load(self) -> None:
        """Let the load under way complete (a task may need it next, and a killed load is
        work lost), then end: no further load starts."""
        self._no_more.set()


def prepare_in_background(loads: Iterable[Callable[[], object]]) -> Preparing | None:
    """Start the child that runs `loads` in order; None when there is nothing to load or
    forking is not available here."""
    loads = list(loads)
    if not loads or not can_fork():
        return None
    context = multiprocessing.get_context("fork")
    no_more = context.Event()
    process = context.Process(
        target=_prepare, args=(loads, no_more), daemon=True, name="pytest-mieb-data-ahead"
    )
    start_forked([process])
    return Preparing(process, no_more)


def stop(preparing: Preparing | None) -> None:
    """End the child if it still runs (the session is over; what it wrote stays valid:
    datasets renames a prepared dataset into place only when it is complete)."""
    if preparing is not None and preparing.process.is_alive():
        preparing.process.kill()
        preparing.process.join()


def _prepare(loads: list[Callable[[], object]], no_more: Any) -> None:
    gc.enable()  # forked while the session had it paused (its preload)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    with contextlib.suppress(OSError):
        os.nice(19)
    _quiet()
    for load in loads:
        if no_more.is_set():
            return
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
