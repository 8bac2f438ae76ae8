"""Image rows are decoded inline unless workers pay for their start (`embed.row_source`)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

import pytest
import torch
from torch.utils.data import Dataset

from pytest_mieb.embed.row_source import AdaptiveRows, DecodeCosts, decode_inline


@pytest.mark.parametrize(
    ("rows_left", "seconds_per_row", "workers", "start_s", "inline"),
    [
        (100, 0.001, 2, 0.1, True),  # 0.1 s of decoding: not worth a 0.1 s start
        (101, 0.001, 2, 0.1, False),
        (10, 0.5, 0, 0.1, True),  # no workers allowed
        (0, 0.5, 4, 0.1, True),  # nothing left
        (1, 0.2, 4, 0.1, False),
    ],
)
def test_workers_start_only_when_the_decoding_they_take_over_costs_more(
    rows_left: int, seconds_per_row: float, workers: int, start_s: float, inline: bool
) -> None:
    assert decode_inline(rows_left, seconds_per_row, workers, start_s) is inline


def test_the_cheapest_measured_start_is_kept() -> None:
    costs = DecodeCosts()
    costs.record_start(0.5)  # the first measurement replaces the assumed figure
    assert costs.worker_start_s == 0.5 and costs.measured
    costs.record_start(0.2)
    costs.record_start(0.3)
    assert costs.worker_start_s == 0.2
    costs.record_start(-1.0)  # a negative estimate (decoding overestimated) counts as free
    assert costs.worker_start_s == 0.0


class SlowRows(Dataset):
    """Row i -> tensor([i, pid]) after `delay` seconds."""

    def __init__(self, n: int, delay: float) -> None:
        self.n, self.delay = n, delay

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, row: int) -> torch.Tensor:
        time.sleep(self.delay)
        return torch.tensor([row, os.getpid()])


def rows_of(dataset: Dataset, costs: DecodeCosts, workers: int = 2, batch_size: int = 4):
    entered: list[int] = []

    @contextlib.contextmanager
    def while_workers(n: int) -> Iterator[None]:
        entered.append(n)
        yield

    source = AdaptiveRows(
        dataset,
        batch_size=batch_size,
        collate=torch.stack,
        workers=workers,
        prefetch_factor=2,
        pin_memory=False,
        costs=costs,
        while_workers=while_workers,
    )
    return list(source), source, entered


def test_a_cheap_request_is_decoded_in_the_main_process_in_batches() -> None:
    batches, source, entered = rows_of(SlowRows(10, 0.0), DecodeCosts())
    assert [b[:, 0].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert {int(p) for b in batches for p in b[:, 1]} == {os.getpid()}
    assert source.used_workers == 0 and entered == []


def test_a_costly_request_goes_to_workers_after_its_first_batch() -> None:
    costs = DecodeCosts(worker_start_s=0.05)
    batches, source, entered = rows_of(SlowRows(16, 0.02), costs)  # 12 x 0.02 s left > 0.05
    assert [b[:, 0].tolist() for b in batches] == [list(range(k, k + 4)) for k in (0, 4, 8, 12)]
    pids = [{int(p) for p in b[:, 1]} for b in batches]
    assert pids[0] == {os.getpid()}
    assert os.getpid() not in set().union(*pids[1:])
    assert source.used_workers == 2 and entered == [2]
    assert costs.measured  # the start was timed and kept for later requests


def test_workers_are_never_more_than_the_batches_left() -> None:
    _, source, entered = rows_of(SlowRows(8, 0.02), DecodeCosts(worker_start_s=0.0), workers=4)
    assert source.used_workers == 1 and entered == [1]


def test_an_empty_request_yields_nothing() -> None:
    assert rows_of(SlowRows(0, 0.0), DecodeCosts())[0] == []
