"""Work put off to a spare moment (`spare_time`): run once, in order, failures left behind;
the first forked encoding runs it in the parent while its children encode."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from pytest_mieb import spare_time
from pytest_mieb.embed.forked import forked_results
from pytest_mieb.runtime import can_fork


@pytest.fixture(autouse=True)
def nothing_put_off() -> Iterator[None]:
    spare_time.drop_put_off_work()
    yield
    spare_time.drop_put_off_work()


def test_put_off_work_runs_once_in_order_past_failures() -> None:
    done: list[str] = []

    def fail() -> None:
        done.append("fail")
        raise ImportError("no such library")

    spare_time.put_off(partial(done.append, "first"))
    spare_time.put_off(fail)
    spare_time.put_off(partial(done.append, "last"))
    assert len(spare_time.put_off_work()) == 3
    spare_time.do_put_off_work()
    spare_time.do_put_off_work()
    assert done == ["first", "fail", "last"]
    assert spare_time.put_off_work() == []


def test_dropped_work_never_runs() -> None:
    done: list[str] = []
    spare_time.put_off(partial(done.append, "dropped"))
    spare_time.drop_put_off_work()
    spare_time.do_put_off_work()
    assert done == []


def test_ctrl_c_in_put_off_work_is_not_swallowed() -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    spare_time.put_off(interrupted)
    with pytest.raises(KeyboardInterrupt):
        spare_time.do_put_off_work()


def mark_and_pid(folder: Path, index: int) -> tuple[int, int]:
    (folder / f"{os.getpid()}-{index}").touch()
    time.sleep(0.02)
    return index, os.getpid()


@pytest.mark.skipif(not can_fork(), reason="forked encoding needs Linux")
def test_the_first_forked_encoding_does_the_put_off_work_while_its_children_encode(
    tmp_path: Path,
) -> None:
    seen: list[tuple[int, int, bool]] = []

    def work() -> None:
        """Wait (at most 30 s) for a child's batch: the children must run meanwhile."""
        deadline = time.monotonic() + 30
        while not any(not p.name.startswith(f"{os.getpid()}-") for p in tmp_path.iterdir()):
            assert time.monotonic() < deadline, "no child encoded while the put-off work ran"
            time.sleep(0.01)
        children = len(multiprocessing.active_children())
        seen.append((os.getpid(), children, any(tmp_path.glob(f"{os.getpid()}-*"))))

    spare_time.put_off(work)
    results = dict(forked_results(0, 12, 1, partial(mark_and_pid, tmp_path)))
    assert sorted(results) == list(range(12))
    # in this process, with a child running, before this process took any batch itself
    assert seen == [(os.getpid(), 1, False)]
    assert spare_time.put_off_work() == []

    list(forked_results(0, 4, 1, partial(mark_and_pid, tmp_path)))  # nothing left to do
    assert len(seen) == 1


@pytest.mark.skipif(not can_fork(), reason="forked encoding needs Linux")
def test_failing_put_off_work_does_not_fail_the_encoding(tmp_path: Path) -> None:
    def fail() -> None:
        raise ModuleNotFoundError("No module named 'sklearn'")

    spare_time.put_off(fail)
    results = dict(forked_results(0, 6, 1, partial(mark_and_pid, tmp_path)))
    assert sorted(results) == list(range(6))
