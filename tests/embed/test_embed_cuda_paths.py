"""The embedder's CUDA paths, checked on the CPU: which device, dtype and path is chosen.

An Embedder built for device "cuda" on a machine without one takes every CUDA decision
(autocast dtype, pinned batches, non-blocking copies, outputs kept on the device and copied
to the host in groups); spies stand in for the calls that would need the GPU itself, so
only the kernels are left for a GPU machine.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
from embed_fakes import FakeEncoder, expected_image_embedding, random_images, text_features

from pytest_mieb.data.containers import Inputs
from pytest_mieb.embed import batches as embed
from pytest_mieb.embed import row_source
from pytest_mieb.embed.batches import autocast_dtype, pins_memory, to_device
from pytest_mieb.embed.embedder import Embedder

CUDA = torch.device("cuda")
CPU = torch.device("cpu")


@pytest.mark.parametrize(
    ("precision", "device", "dtype"),
    [
        ("fp16", CUDA, torch.float16),
        ("bf16", torch.device("cuda", 1), torch.bfloat16),
        ("fp32", CUDA, None),
        ("fp16", CPU, None),  # CPU and other devices run in fp32
        ("bf16", CPU, None),
        ("bf16", torch.device("mps"), None),
    ],
)
def test_autocast_only_on_cuda_and_only_in_low_precision(precision, device, dtype) -> None:
    assert autocast_dtype(precision, device) == dtype


def test_only_cuda_batches_are_pinned() -> None:
    assert pins_memory(CUDA) and pins_memory(torch.device("cuda", 3))
    assert not pins_memory(CPU) and not pins_memory(torch.device("mps"))


class Movable:
    """A batch that records how it was asked to move."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.moves: list[tuple[torch.device, bool]] = []

    def to(self, device: torch.device, *, non_blocking: bool = False) -> Movable:
        self.moves.append((device, non_blocking))
        return Movable(device)


def test_to_device_copies_only_across_devices_passing_non_blocking_on() -> None:
    here = Movable(CPU)
    assert to_device(here, CPU, non_blocking=True) is here and here.moves == []  # type: ignore[arg-type]
    moved = to_device(here, CUDA, non_blocking=True)  # type: ignore[arg-type]
    assert here.moves == [(CUDA, True)] and moved.device == CUDA
    tensor = torch.ones(2)
    assert to_device(tensor, CPU, non_blocking=False) is tensor


class OnGpu(torch.Tensor):
    """A CPU tensor that says it lives on a GPU, so the host-copy path is taken."""

    @property
    def device(self) -> torch.device:  # type: ignore[override]
        return torch.device("cuda", 0)


class Spies:
    """Records what would reach CUDA: autocast regions, pinning (per request, and of the
    batches decoded in the main process), device copies."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.autocasts: list[dict[str, Any]] = []
        self.autocast_active = False
        self.pinned: list[bool] = []
        self.pinned_batches = 0
        self.copies: list[tuple[torch.device, bool]] = []
        real_rows = embed.AdaptiveRows

        @contextlib.contextmanager
        def autocast(**kwargs: Any) -> Iterator[None]:
            self.autocasts.append(kwargs)
            self.autocast_active = True
            try:
                yield
            finally:
                self.autocast_active = False

        def rows(*args: Any, pin_memory: bool, **kwargs: Any) -> Any:
            self.pinned.append(pin_memory)
            return real_rows(*args, pin_memory=pin_memory, **kwargs)

        def pin(batch: torch.Tensor) -> torch.Tensor:  # no CUDA to pin for
            self.pinned_batches += 1
            return batch

        def copy(batch: torch.Tensor, device: torch.device, non_blocking: bool) -> torch.Tensor:
            self.copies.append((device, non_blocking))
            return batch

        monkeypatch.setattr(torch, "autocast", autocast)
        monkeypatch.setattr(embed, "AdaptiveRows", rows)
        monkeypatch.setattr(row_source, "pinned", pin)
        monkeypatch.setattr(embed, "to_device", copy)


class GpuEncoder(FakeEncoder):
    """Returns its outputs 'on the GPU' and notes whether autocast was on for each call."""

    def __init__(self, spies: Spies) -> None:
        super().__init__("fake-gpu")
        self.spies = spies
        self.under_autocast: list[tuple[str, bool, bool]] = []

    def _note(self, kind: str) -> None:
        self.under_autocast.append(
            (kind, self.spies.autocast_active, torch.is_inference_mode_enabled())
        )

    def encode_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        self._note("image")
        return super().encode_pixels(pixels).to(torch.bfloat16).as_subclass(OnGpu)

    def encode_texts(self, texts):
        self._note("text")
        return super().encode_texts(texts).as_subclass(OnGpu)

    def encode_fused(self, images, texts):
        self._note("image+text")
        return torch.as_tensor(super().encode_fused(images, texts)).as_subclass(OnGpu)


@pytest.mark.parametrize(
    ("precision", "dtype"),
    [
        ("fp16", torch.float16),
        ("bf16", torch.bfloat16),
        ("fp32", None),
        ("fp16-mixed", torch.float16),  # fp32 weights (the loader's part) under fp16 autocast
        ("bf16-mixed", torch.bfloat16),
    ],
)
def test_cuda_embedder_autocasts_pins_and_copies_without_blocking(
    monkeypatch: pytest.MonkeyPatch, precision: str, dtype: torch.dtype | None
) -> None:
    spies = Spies(monkeypatch)
    encoder = GpuEncoder(spies)
    embedder = Embedder(encoder, batch_size=3, num_workers=0, device="cuda", precision=precision)
    images = random_images(7, seed=2)
    texts = [f"caption {i}" for i in range(7)]
    pixels = embedder.embed(Inputs(key="img", images=images))
    words = embedder.embed(Inputs(key="txt", texts=texts))
    fused = embedder.embed(Inputs(key="fused", images=images, texts=texts))

    expected_autocast = [] if dtype is None else [{"device_type": "cuda", "dtype": dtype}] * 3
    assert spies.autocasts == expected_autocast
    on = dtype is not None
    assert encoder.under_autocast == [
        *[("image", on, True)] * 3,
        *[("text", on, True)] * 3,
        *[("image+text", on, True)] * 3,
    ]
    assert spies.pinned == [True, False]  # pixel batches pinned; fused PIL images cannot be
    assert spies.pinned_batches == 3  # all three decoded in the main process (cheap)
    assert spies.copies == [(CUDA, True)] * 3
    # outputs kept on the device, then copied to the host and upcast, rows in place
    image_want = np.stack([expected_image_embedding(im) for im in images])
    np.testing.assert_allclose(pixels, image_want, rtol=1e-2, atol=1e-2)  # bf16 outputs
    assert pixels.dtype == words.dtype == fused.dtype == np.float32
    np.testing.assert_allclose(words, np.stack([text_features(t) for t in texts]), rtol=1e-6)
    text_want = np.stack([text_features(t) for t in texts])
    np.testing.assert_allclose(fused, image_want + text_want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("precision", ["bf16", "fp16-mixed", "bf16-mixed"])
def test_cpu_embedder_takes_none_of_the_cuda_paths(
    monkeypatch: pytest.MonkeyPatch, precision: str
) -> None:
    spies = Spies(monkeypatch)
    encoder = GpuEncoder(spies)
    embedder = Embedder(encoder, batch_size=4, num_workers=0, device="cpu", precision=precision)
    embedder.embed(Inputs(key="img", images=random_images(5)))
    embedder.embed(Inputs(key="txt", texts=["a", "b"]))
    assert spies.autocasts == [] and spies.pinned == [False] and spies.pinned_batches == 0
    assert spies.copies == [(CPU, False), (CPU, False)]
    assert all(not active for _, active, _ in encoder.under_autocast)


def test_device_outputs_reach_the_host_in_groups_not_per_batch() -> None:
    """Each host copy synchronises the GPU: outputs wait on the device, a group at a time."""
    flush_every = embed._DEVICE_FLUSH_EVERY
    n_batches = flush_every + 3
    collector = embed._Collector("k", n_batches * 2)
    batches = [torch.full((2, 3), float(i), dtype=torch.float16) for i in range(n_batches)]
    for i, batch in enumerate(batches):
        collector.add(batch.as_subclass(OnGpu), slice(2 * i, 2 * i + 2), 2)
        if i < flush_every - 1:
            assert collector.out is None  # nothing copied yet
    assert collector.out is not None and len(collector._pending) == 3
    np.testing.assert_array_equal(
        collector.out[: 2 * flush_every], np.repeat(np.arange(flush_every), 2)[:, None] * np.ones(3)
    )
    out = collector.finish()
    assert out.dtype == np.float32 and collector._pending == []
    np.testing.assert_array_equal(out, np.repeat(np.arange(n_batches), 2)[:, None] * np.ones(3))


def test_bf16_outputs_on_the_cpu_are_upcast_to_float32() -> None:
    class Bf16Encoder(FakeEncoder):
        def encode_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
            return super().encode_pixels(pixels).to(torch.bfloat16)

    images = random_images(3)
    out = Embedder(Bf16Encoder(), num_workers=0).embed(Inputs(key="b", images=images))
    assert out.dtype == np.float32
    want = np.stack([expected_image_embedding(im) for im in images])
    np.testing.assert_allclose(out, want, rtol=1e-2, atol=1e-2)
