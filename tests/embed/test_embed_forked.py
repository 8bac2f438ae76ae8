"""Encoding on the CPU in forked copies of the process (`embed.forked`), and its failures."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from embed_fakes import (
    EMBED_DIM,
    FakeEncoder,
    column_with_corrupt_row,
    expected_image_embedding,
    random_images,
)

from pytest_mieb.data.containers import Inputs
from pytest_mieb.embed import forked
from pytest_mieb.embed.embedder import Embedder
from pytest_mieb.embed.forked import forked_results
from pytest_mieb.runtime import can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="forked encoding needs Linux")

PARENT = os.getpid()


def slow_pid(index: int) -> tuple[int, int]:
    """(index, pid), slowly enough that the children get batches too."""
    time.sleep(0.03)
    return index, os.getpid()


def test_every_index_is_produced_once_by_the_parent_or_a_child() -> None:
    results = dict(forked_results(3, 15, 2, slow_pid))
    assert sorted(results) == list(range(3, 15))
    assert all(value[0] == index for index, value in results.items())
    pids = {value[1] for value in results.values()}
    assert os.getpid() in pids and len(pids - {os.getpid()}) >= 1
    assert multiprocessing.active_children() == []


def test_children_run_torch_with_one_thread() -> None:
    def threads(index: int) -> tuple[int, int]:
        time.sleep(0.03)
        return os.getpid(), torch.get_num_threads()

    seen = dict(value for _, value in forked_results(0, 8, 1, threads))
    assert {n for pid, n in seen.items() if pid != os.getpid()} == {1}


def test_children_leave_ctrl_c_to_the_parent() -> None:
    """The parent stops them (and raises KeyboardInterrupt itself); no child traceback."""

    def handler(index: int) -> tuple[int, bool]:
        time.sleep(0.03)
        return os.getpid(), signal.getsignal(signal.SIGINT) is signal.SIG_IGN

    # Python's own handler in the parent, whatever the shell left (a background job's
    # SIGINT arrives ignored): the children must set theirs.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        seen = dict(value for _, value in forked_results(0, 8, 1, handler))
    finally:
        signal.signal(signal.SIGINT, previous)
    assert {ignored for pid, ignored in seen.items() if pid != os.getpid()} == {True}
    assert seen[os.getpid()] is False


def test_how_long_the_start_took_is_reported() -> None:
    took: list[float] = []
    list(forked_results(0, 2, 1, slow_pid, on_started=took.append))
    assert len(took) == 1 and 0.0 <= took[0] < 10.0


def raise_in_child(index: int) -> int:
    time.sleep(0.03)
    if os.getpid() != PARENT:
        raise KeyError(f"no row {index} here")
    return index


def test_an_exception_in_a_child_is_raised_in_the_parent_and_stops_the_rest() -> None:
    with pytest.raises(KeyError, match=r"no row \d+ here"):
        list(forked_results(0, 20, 2, raise_in_child))
    assert multiprocessing.active_children() == []


class Unpicklable(Exception):
    def __init__(self, message: str, handle: object) -> None:
        super().__init__(message)
        self.handle = handle

    def __reduce__(self):  # type: ignore[override]
        raise TypeError("cannot travel")


def unpicklable_error(index: int) -> int:
    time.sleep(0.03)
    if os.getpid() != PARENT:
        raise Unpicklable("the model broke", object())
    return index


def test_an_exception_that_does_not_pickle_comes_back_as_its_text() -> None:
    with pytest.raises(RuntimeError, match=r"a worker process failed: .*the model broke"):
        list(forked_results(0, 20, 1, unpicklable_error))


def unpicklable_result(index: int) -> object:
    time.sleep(0.03)
    return (lambda: index) if os.getpid() != PARENT else index


def test_a_result_that_does_not_pickle_is_an_error_not_a_missing_batch() -> None:
    with pytest.raises(Exception, match=r"(?i)pickle"):
        list(forked_results(0, 20, 1, unpicklable_result))
    assert multiprocessing.active_children() == []


def die_in_child(index: int) -> int:
    time.sleep(0.03)
    if os.getpid() != PARENT:
        os._exit(3)
    return index


def test_a_child_that_dies_without_its_results_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(forked, "POLL_S", 0.05)
    with pytest.raises(ChildProcessError, match=r"exit codes \[3\]"):
        list(forked_results(0, 20, 1, die_in_child))


def test_closing_early_stops_the_children_at_once() -> None:
    def forever(index: int) -> int:
        time.sleep(0.05)
        return index

    results = forked_results(0, 10_000, 2, forever)
    next(results)
    started = time.perf_counter()
    results.close()
    assert time.perf_counter() - started < forked.STOP_GRACE_S
    assert multiprocessing.active_children() == []


# ---------------------------------------------------------------- through the Embedder


class ForkSafeEncoder(FakeEncoder):
    """Encodes pixels in any process; leaves one file per batch naming the process."""

    fork_safe = True

    def __init__(self, log_dir: Path) -> None:
        super().__init__("fake-fork-safe")
        self.log_dir = log_dir

    def encode_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        time.sleep(0.02)  # long enough for the children to take batches
        (self.log_dir / f"{os.getpid()}-{time.perf_counter_ns()}").write_text(
            str(len(pixels)), encoding="utf-8"
        )
        return super().encode_pixels(pixels)


def batches_by_process(log_dir: Path) -> dict[int, int]:
    counts: dict[int, int] = {}
    for path in log_dir.iterdir():
        pid = int(path.name.split("-")[0])
        counts[pid] = counts.get(pid, 0) + int(path.read_text(encoding="utf-8"))
    return counts


def forking_embedder(encoder: object, **kwargs: object) -> Embedder:
    embedder = Embedder(encoder, memory_cache_bytes=0, **kwargs)  # type: ignore[arg-type]
    embedder.fork_costs.worker_start_s = 0.0  # fork however little is left
    return embedder


def test_on_the_cpu_children_encode_whole_batches_with_the_same_embeddings(
    tmp_path: Path,
) -> None:
    images = random_images(40, seed=11)
    progress: list[int] = []
    embedder = forking_embedder(
        ForkSafeEncoder(tmp_path),
        batch_size=3,
        num_workers=2,
        progress=lambda key, done, total: progress.append(done),
    )
    assert embedder.fork_encode
    out = embedder.embed(Inputs(key="forked", images=images))
    np.testing.assert_allclose(
        out, np.stack([expected_image_embedding(im) for im in images]), rtol=1e-6, atol=1e-7
    )
    counts = batches_by_process(tmp_path)
    assert sum(counts.values()) == 40 and os.getpid() in counts
    assert 1 <= len(counts) - 1 <= 2  # the parent and up to two children
    assert embedder.stats.encoded["image"] == 40 and embedder.stats.batches["image"] == 14
    assert sorted(progress) == progress and progress[-1] == 40
    assert embedder.fork_costs.measured
    assert multiprocessing.active_children() == []


def test_forked_and_dataloader_paths_give_identical_embeddings(tmp_path: Path) -> None:
    images = random_images(25, seed=12)
    inputs = Inputs(key="same", images=images)
    forked_out = forking_embedder(ForkSafeEncoder(tmp_path), batch_size=4, num_workers=1).embed(
        inputs
    )
    loader_out = Embedder(FakeEncoder(), batch_size=4, num_workers=1).embed(inputs)
    assert np.array_equal(forked_out, loader_out)


def test_the_main_process_threads_come_back_after_a_forked_encode(tmp_path: Path) -> None:
    before = torch.get_num_threads()
    forking_embedder(ForkSafeEncoder(tmp_path), batch_size=2, num_workers=1).embed(
        Inputs(key="threads", images=random_images(12, seed=13))
    )
    assert torch.get_num_threads() == before


def test_a_corrupt_row_in_a_childs_batch_names_the_key_and_row(tmp_path: Path) -> None:
    images: list = list(random_images(30, seed=14))
    images[25] = {"bytes": b"this is not an image", "path": None}
    embedder = forking_embedder(ForkSafeEncoder(tmp_path), batch_size=2, num_workers=1)
    with pytest.raises(ValueError, match=r"'ds/test/image'.*row 25.*Unidentified"):
        embedder.embed(Inputs(key="ds/test/image", images=images))
    assert multiprocessing.active_children() == []


def test_the_data_layers_corrupt_image_error_comes_back_from_a_child_unchanged(
    tmp_path: Path,
) -> None:
    from pytest_mieb.data import CorruptImageError

    images = column_with_corrupt_row(30, bad_row=27, seed=17)
    embedder = forking_embedder(ForkSafeEncoder(tmp_path), batch_size=2, num_workers=1)
    with pytest.raises(
        CorruptImageError, match=r"^acme/pics@abc123 split 'test' column 'photo' row 27: "
    ):
        embedder.embed(Inputs(key="acme/pics@abc123/default/test/photo", images=images))


class FailingInChildren(ForkSafeEncoder):
    def encode_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        if os.getpid() != PARENT:
            raise FloatingPointError("NaN in layer 3")
        return super().encode_pixels(pixels)


def test_an_encoder_error_in_a_child_fails_the_request_with_that_error(tmp_path: Path) -> None:
    embedder = forking_embedder(FailingInChildren(tmp_path), batch_size=2, num_workers=1)
    with pytest.raises(FloatingPointError, match="NaN in layer 3"):
        embedder.embed(Inputs(key="failing", images=random_images(30, seed=15)))
    assert embedder.memory.nbytes == 0


def test_little_work_stays_in_the_main_process(tmp_path: Path) -> None:
    """Until a start has been measured, forking is assumed to cost 0.1 s: more than two
    small batches of a fast encoder."""
    encoder = ForkSafeEncoder(tmp_path)
    Embedder(encoder, batch_size=2, num_workers=2).embed(
        Inputs(key="small", images=random_images(4, seed=16))
    )
    assert set(batches_by_process(tmp_path)) == {os.getpid()}


@pytest.mark.parametrize(
    ("fork_safe", "device", "expected"),
    [(True, "cpu", True), (False, "cpu", False), (True, "cuda", False), (True, "meta", False)],
)
def test_who_encodes_in_forks(fork_safe: bool, device: str, expected: bool) -> None:
    encoder = FakeEncoder()
    encoder.fork_safe = fork_safe  # type: ignore[misc]
    assert Embedder(encoder, device=device).fork_encode is expected


def test_an_encoder_without_the_attribute_is_taken_as_fork_safe() -> None:
    class Plain:
        name, revision, embed_dim, similarity = "plain", "0", EMBED_DIM, "cosine"
        fingerprint = "plain-v1"
        image_transform = None

        def encode_texts(self, texts):
            return torch.zeros(len(texts), EMBED_DIM)

    assert Embedder(Plain(), device="cpu").fork_encode is can_fork()
