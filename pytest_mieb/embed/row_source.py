"""Where one request's image rows are decoded: in the main process or in DataLoader workers.

Starting DataLoader worker processes costs about 0.1 s per request (fork, imports, the first
batch's round trip); a request of a few dozen small images decodes inline in less. So the
first batch of every request is decoded inline and timed, and the rest goes to workers only
when decoding it inline would cost more than starting them (`decode_inline`). The start
cost is measured too, the first time workers run, and kept for the session (`DecodeCosts`).

The batches are the same either way (same rows, same transform, same collate), so where a
row was decoded never changes an embedding.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, Subset

#: Assumed start cost of a request's workers until one has been measured (seconds).
DEFAULT_WORKER_START_S = 0.1


@dataclass
class DecodeCosts:
    """What starting workers costs on this machine: one figure per session, measured."""

    worker_start_s: float = DEFAULT_WORKER_START_S
    measured: bool = False

    def record_start(self, seconds: float) -> None:
        """Keep the cheapest start seen: a slow first start (cold page cache) should not
        keep later requests inline that workers would serve faster."""
        seconds = max(seconds, 0.0)
        self.worker_start_s = min(self.worker_start_s, seconds) if self.measured else seconds
        self.measured = True


def decode_inline(
    rows_left: int, seconds_per_row: float, workers: int, worker_start_s: float
) -> bool:
    """Whether to decode the remaining rows in the main process.

    Workers can at best take all of the decoding off the main process; they pay off only
    when that decoding costs more than starting them.
    """
    if workers <= 0 or rows_left <= 0:
        return True
    return rows_left * seconds_per_row <= worker_start_s


def pinned(batch: torch.Tensor) -> torch.Tensor:
    """`batch` in page-locked memory, as the DataLoader pins the batches of its workers."""
    return batch.pin_memory()


@dataclass
class AdaptiveRows:
    """Batches of `dataset` rows, in order: the first decoded inline and timed, the rest
    inline or in up to `workers` DataLoader processes, whichever the costs say is faster.

    `while_workers(n)` is entered while `n` worker processes run (the caller cuts the main
    process's torch threads there).
    """

    dataset: Dataset
    batch_size: int
    collate: Callable[[list[Any]], Any]
    workers: int
    prefetch_factor: int
    pin_memory: bool
    costs: DecodeCosts
    while_workers: Callable[[int], contextlib.AbstractContextManager[None]]
    used_workers: int = 0

    def __iter__(self) -> Iterator[Any]:
        n_rows = len(self.dataset)  # type: ignore[arg-type]
        first = min(self.batch_size, n_rows)
        if first == 0:
            return
        started = time.perf_counter()
        first_batch = self._inline_batch(range(first))
        seconds_per_row = (time.perf_counter() - started) / first
        yield first_batch
        rows_left = n_rows - first
        workers = min(self.workers, math.ceil(rows_left / self.batch_size))
        if decode_inline(rows_left, seconds_per_row, workers, self.costs.worker_start_s):
            for start in range(first, n_rows, self.batch_size):
                yield self._inline_batch(range(start, min(start + self.batch_size, n_rows)))
            return
        yield from self._worker_batches(range(first, n_rows), workers, seconds_per_row)

    def _inline_batch(self, rows: range) -> Any:
        batch = self.collate([self.dataset[row] for row in rows])
        if self.pin_memory and isinstance(batch, torch.Tensor):
            batch = pinned(batch)
        return batch

    def _worker_batches(self, rows: range, workers: int, seconds_per_row: float) -> Iterator[Any]:
        loader = DataLoader(
            Subset(self.dataset, rows),
            batch_size=self.batch_size,
            shuffle=False,
            num_workers=workers,
            collate_fn=self.collate,
            pin_memory=self.pin_memory,
            prefetch_factor=self.prefetch_factor,
        )
        self.used_workers = workers
        with self.while_workers(workers):
            started = time.perf_counter()
            batches = iter(loader)
            first = next(batches, None)
            if first is None:
                return
            decoding = min(self.batch_size, len(rows)) * seconds_per_row
            self.costs.record_start(time.perf_counter() - started - decoding)
            yield first
            yield from batches
