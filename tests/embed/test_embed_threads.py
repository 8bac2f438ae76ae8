"""Torch's intra-op threads leave the DataLoader workers their cores, and come back after."""

from __future__ import annotations

import pytest
import torch
from embed_fakes import FakeEncoder, decode_in_workers, random_images

from pytest_mieb.data.containers import Inputs
from pytest_mieb.embed import batches as embed
from pytest_mieb.embed.batches import encode_threads, torch_threads
from pytest_mieb.embed.embedder import Embedder


class ThreadRecordingEncoder(FakeEncoder):
    """Notes torch's thread count at every pixel and fused batch."""

    def __init__(self) -> None:
        super().__init__("fake-thread-recording")
        self.threads_seen: list[int] = []

    def encode_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        self.threads_seen.append(torch.get_num_threads())
        return super().encode_pixels(pixels)

    def encode_fused(self, images, texts):
        self.threads_seen.append(torch.get_num_threads())
        return super().encode_fused(images, texts)


@pytest.mark.parametrize(
    ("cpus", "workers", "current", "expected"),
    [
        (8, 3, 8, 5),  # the workers' cores are left to them
        (8, 0, 8, 8),  # no workers: untouched
        (2, 1, 2, 1),
        (2, 2, 2, 1),  # never below one thread
        (8, 1, 4, 4),  # never above what the process had (OMP_NUM_THREADS, user setting)
    ],
)
def test_encode_threads_leaves_the_workers_their_cores(
    monkeypatch: pytest.MonkeyPatch, cpus: int, workers: int, current: int, expected: int
) -> None:
    monkeypatch.setattr(embed, "usable_cpus", lambda: cpus)
    assert encode_threads(workers, current) == expected


def test_torch_threads_restores_the_count_even_after_an_error() -> None:
    before = torch.get_num_threads()
    target = 1 if before != 1 else 2
    with torch_threads(target):
        assert torch.get_num_threads() == target
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError, match="boom"), torch_threads(target):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("kind", ["image", "image+text"])
def test_cpu_encode_with_workers_runs_on_the_free_cores_then_restores(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setattr(embed, "usable_cpus", lambda: 4)
    encoder = ThreadRecordingEncoder()
    images = random_images(6)
    texts = [f"t{i}" for i in range(6)] if kind == "image+text" else None
    inputs = Inputs(key=f"threads-{kind}", images=images, texts=texts)
    embedder = Embedder(encoder, batch_size=3, num_workers=1, memory_cache_bytes=0)
    decode_in_workers(embedder)
    with torch_threads(4):
        embedder.embed(inputs)
        assert torch.get_num_threads() == 4
    assert encoder.threads_seen == [4, 3]  # the first batch is decoded in the main process


def test_without_workers_the_thread_count_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embed, "usable_cpus", lambda: 4)
    encoder = ThreadRecordingEncoder()
    with torch_threads(4):
        Embedder(encoder, batch_size=3, num_workers=0).embed(
            Inputs(key="no-workers", images=random_images(3))
        )
    assert encoder.threads_seen == [4]


def test_default_workers_leave_one_cpu_for_the_main_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(embed, "usable_cpus", lambda: 6)
    assert embed.default_num_workers() == 5
    monkeypatch.setattr(embed, "usable_cpus", lambda: 1)
    assert embed.default_num_workers() == 0
