"""`data.ahead`: a quiet, lowest-priority child prepares datasets while the session works."""

from __future__ import annotations

import os
import sys
import time
from functools import partial
from pathlib import Path

import pytest

from pytest_mieb.data.ahead import prepare_in_background, stop
from pytest_mieb.runtime import can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="the background process is forked")

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def note(folder: Path, index: int) -> None:
    """Leave `index`, this process and its priority in a file of `folder`."""
    (folder / f"{time.perf_counter_ns()}-{index}").write_text(
        f"{os.getpid()} {os.nice(0)}", encoding="utf-8"
    )


def state(folder: Path) -> None:
    """Leave what the child's Ctrl-C does and whether its garbage collector runs."""
    import gc
    import signal

    sigint = "default" if signal.getsignal(signal.SIGINT) is signal.SIG_DFL else "other"
    (folder / "state").write_text(f"{sigint} {gc.isenabled()}", encoding="utf-8")


def fail() -> None:
    raise FileNotFoundError("no mirror here")


def chatty() -> None:
    print("a progress bar")
    print("a warning", file=sys.stderr)
    os.write(2, b"from C code\n")


def notes(folder: Path) -> list[tuple[int, int, int]]:
    """(index, pid, niceness) of each note, in the order they were written."""
    out = []
    for path in sorted(folder.iterdir(), key=lambda p: int(p.name.split("-")[0])):
        pid, nice = path.read_text(encoding="utf-8").split()
        out.append((int(path.name.split("-")[1]), int(pid), int(nice)))
    return out


def test_the_loads_run_in_order_in_a_lowest_priority_child_past_failures(tmp_path: Path) -> None:
    loads = [partial(note, tmp_path, 0), fail, partial(note, tmp_path, 1)]
    preparing = prepare_in_background(iter(loads))  # any iterable
    assert preparing is not None
    process = preparing.process
    process.join(timeout=30)
    assert process.exitcode == 0
    seen = notes(tmp_path)
    assert [index for index, _, _ in seen] == [0, 1]
    assert {pid for _, pid, _ in seen} == {process.pid} and process.pid != os.getpid()
    assert {nice for _, _, nice in seen} == {19} or os.nice(0) == 19


def test_the_child_dies_with_ctrl_c_and_collects_garbage_though_forked_in_a_pause(
    tmp_path: Path,
) -> None:
    import gc

    from pytest_mieb.plugin.preload import garbage_collection_paused

    with garbage_collection_paused():  # as the preload forks it
        preparing = prepare_in_background([partial(state, tmp_path)])
        assert preparing is not None and not gc.isenabled()
    preparing.process.join(timeout=30)
    assert (tmp_path / "state").read_text(encoding="utf-8") == "default True"


def test_the_child_writes_nothing_to_the_terminal(capfd: pytest.CaptureFixture[str]) -> None:
    preparing = prepare_in_background([chatty])
    assert preparing is not None
    preparing.process.join(timeout=30)
    assert capfd.readouterr() == ("", "")


def test_nothing_to_load_starts_nothing() -> None:
    assert prepare_in_background([]) is None


def test_stop_ends_a_child_that_still_works_and_accepts_none() -> None:
    preparing = prepare_in_background([partial(time.sleep, 60)])
    assert preparing is not None and preparing.process.is_alive()
    stop(preparing)
    assert not preparing.process.is_alive()
    stop(preparing)
    stop(None)


def wait_for(path: Path) -> None:
    deadline = time.monotonic() + 30
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never came"
        time.sleep(0.01)


def slow_note(folder: Path, index: int) -> None:
    """Say the load started, wait to be let go, then leave the note."""
    (folder / f"started-{index}").touch()
    wait_for(folder / f"go-{index}")
    note(folder / "notes", index)


def test_finishing_the_current_load_completes_it_and_starts_no_other(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    loads = [partial(slow_note, tmp_path, index) for index in range(3)]
    preparing = prepare_in_background(loads)
    assert preparing is not None
    wait_for(tmp_path / "started-0")
    preparing.finish_current_load()
    (tmp_path / "go-0").touch()
    preparing.process.join(timeout=30)
    assert preparing.process.exitcode == 0
    assert [index for index, _, _ in notes(tmp_path / "notes")] == [0]  # 1 never started
    assert not (tmp_path / "started-1").exists()


def test_a_mirrors_dataset_is_in_the_datasets_cache_before_its_task_loads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real load: the child converts the mirror into the cache the session then reads."""
    import datasets
    import datasets.config

    from pytest_mieb.data import load_task_data
    from pytest_mieb.data.source import clear_cache
    from pytest_mieb.tasks.index import load_all_specs

    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import hubfarm

    cache = tmp_path / "hf-datasets"
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True)
    spec = load_all_specs()["CIFAR10"]
    hubfarm.write_mirror(spec, tmp_path / "mirrors", rows=12, seed=0)
    clear_cache()
    try:
        preparing = prepare_in_background(
            [partial(load_task_data, spec, data_dir=tmp_path / "mirrors")]
        )
        assert preparing is not None
        preparing.process.join(timeout=120)
        prepared = sorted(p.name for p in cache.rglob("*.arrow"))
        assert any("train" in name for name in prepared)
        assert any("test" in name for name in prepared)
        data = load_task_data(spec, data_dir=tmp_path / "mirrors")  # the session's own load
        assert len(data.train.inputs) == len(data.train.labels) > 0
        assert sorted(p.name for p in cache.rglob("*.arrow")) == prepared  # nothing new
    finally:
        clear_cache()
