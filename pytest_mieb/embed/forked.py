"""Batches computed by forked copies of this process beside the process itself.

On the CPU, decode workers feeding a model that runs in the main process leave the model
one core (the workers hold the others), so a large model is bound to one core however many
there are, and on two cores the two halves wait on each other and on the pixels passed
between them. Here every process runs the whole pipeline (decode, transform, encode) for
the batches it claims, one at a time, from a shared counter: the faster a process, the more
batches it takes, and only embeddings travel between processes.

The children are forked, not spawned: they share the loaded model's weights and the
memory-mapped rows with the parent (copy-on-write) and start in milliseconds. Each runs
torch with one thread, ignores Ctrl-C (the parent stops them), and sends every result, or
the exception that replaced it, pickled: a result that does not pickle comes back as that
error, never as a missing batch.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import pickle
import queue
import signal
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

import torch

from pytest_mieb.runtime import can_fork, start_forked
from pytest_mieb.spare_time import do_put_off_work

#: How long the parent waits for a result before it checks that its children still run.
POLL_S = 0.5
#: How long stopped children get to finish their current batch before they are killed.
STOP_GRACE_S = 5.0


def encodes_in_forks(device_type: str, fork_safe: bool = True) -> bool:
    """Whether an encoder on a device of this type ("cpu", "cuda", ...) has its pixel
    batches encoded here, given workers: on the CPU, where forking works, unless the
    encoder says ``fork_safe = False``."""
    return device_type == "cpu" and fork_safe and can_fork()


@dataclass(frozen=True)
class ChildError:
    """An exception raised in a child, as data: the exception itself where it pickles."""

    error: BaseException | None
    text: str

    @classmethod
    def of(cls, exc: BaseException) -> ChildError:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # an exception that cannot travel: its text does
            return cls(None, text)
        return cls(exc, text)

    def raise_again(self) -> NoReturn:
        if self.error is not None:
            raise self.error
        raise RuntimeError(f"a worker process failed: {self.text}")


class Claims:
    """The next unclaimed batch index, shared by the parent and its children."""

    def __init__(self, context: Any, first: int, end: int) -> None:
        self._next = context.Value("q", first)
        self.end = end

    def claim(self) -> int | None:
        with self._next.get_lock():
            index = int(self._next.value)
            if index >= self.end:
                return None
            self._next.value = index + 1
            return index

    def close(self) -> None:
        """No batch is handed out after this (children stop after their current one)."""
        with self._next.get_lock():
            self._next.value = self.end


def _child(claims: Claims, produce: Callable[[int], Any], results: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    torch.set_num_threads(1)
    while (index := claims.claim()) is not None:
        try:
            payload = pickle.dumps(produce(index), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:  # everything goes back to the parent, which raises it
            results.put((index, pickle.dumps(ChildError.of(exc))))
            return
        results.put((index, payload))


def forked_results(
    first: int,
    end: int,
    children: int,
    produce: Callable[[int], Any],
    on_started: Callable[[float], None] | None = None,
) -> Iterator[tuple[int, Any]]:
    """``(index, produce(index))`` for every index in ``first..end-1``, in the order they are
    done, computed by `children` forked processes and by this one (which first does the
    work put off for a spare moment: `pytest_mieb.spare_time`).

    `on_started(seconds)` learns how long starting the children took. An exception in a
    child is raised here; a child that dies without its results raises `ChildProcessError`.
    Closing the generator early (or an error) stops the children at once.
    """
    context = multiprocessing.get_context("fork")
    claims = Claims(context, first, end)
    results = context.Queue()
    started = time.perf_counter()
    processes = [
        context.Process(target=_child, args=(claims, produce, results), daemon=True)
        for _ in range(children)
    ]
    finished = False
    try:
        start_forked(processes)
        if on_started is not None:
            on_started(time.perf_counter() - started)
        do_put_off_work()  # the children encode meanwhile
        pending = end - first
        while (index := claims.claim()) is not None:
            yield index, produce(index)
            pending -= 1
            for item in _ready(results):
                pending -= 1
                yield _unpacked(item)
        while pending:
            yield _unpacked(_next_result(results, processes))
            pending -= 1
        finished = True
    finally:
        claims.close()
        _stop(processes, graceful=finished)
        results.close()
        results.cancel_join_thread()


def _ready(results: Any) -> Iterator[tuple[int, bytes]]:
    while True:
        try:
            yield results.get_nowait()
        except queue.Empty:
            return


def _next_result(results: Any, processes: list[Any]) -> tuple[int, bytes]:
    while True:
        try:
            return results.get(timeout=POLL_S)
        except queue.Empty:
            if any(process.is_alive() for process in processes):
                continue
            with contextlib.suppress(queue.Empty):
                return results.get_nowait()
            codes = sorted({process.exitcode for process in processes}, key=str)
            raise ChildProcessError(
                f"a worker process ended before returning its batches (exit codes {codes})"
            ) from None


def _unpacked(item: tuple[int, bytes]) -> tuple[int, Any]:
    index, payload = item
    value = pickle.loads(payload)
    if isinstance(value, ChildError):
        value.raise_again()
    return index, value


def _stop(processes: list[Any], graceful: bool) -> None:
    deadline = time.monotonic() + (STOP_GRACE_S if graceful else 0.0)
    for process in processes:
        if process.pid is None:  # never started
            continue
        process.join(timeout=max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
