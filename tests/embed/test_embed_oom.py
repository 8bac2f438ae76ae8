"""Out of memory while encoding (issue 14 item 5), on the CPU with encoders that raise the
errors a full GPU raises: the batch is halved and the same inputs encoded again, the size
that fits is kept, and an input that fails alone fails its task with one line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
import torch
from embed_fakes import FakeEncoder, random_images

from pytest_mieb.data.containers import Inputs
from pytest_mieb.embed.embedder import Embedder
from pytest_mieb.embed.oom import EncoderOutOfMemory, is_out_of_memory
from pytest_mieb.plugin.failures import one_line

CUDA_OOM = "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 139 GiB total capacity)"


class TightEncoder(FakeEncoder):
    """Raises the way a full GPU does for batches above `fits` rows (or holding `too_big`)."""

    def __init__(self, fits: int, error: type[Exception] = torch.cuda.OutOfMemoryError) -> None:
        super().__init__("fake-tight")
        self.fits = fits
        self.error = error
        self.too_big: str | None = None
        self.attempts: list[int] = []

    def _check(self, rows: Sequence[Any]) -> None:
        self.attempts.append(len(rows))
        if len(rows) > self.fits or (self.too_big is not None and self.too_big in rows):
            message = CUDA_OOM if self.error is not RuntimeError else "CUDA error: out of memory"
            raise self.error(message)

    def encode_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        self._check(list(pixels))
        return super().encode_pixels(pixels)

    def encode_texts(self, texts: Sequence[str]) -> torch.Tensor:
        self._check(list(texts))
        return super().encode_texts(texts)

    def encode_fused(self, images: Sequence[Any], texts: Sequence[str]) -> np.ndarray:
        self._check(list(texts))
        return super().encode_fused(images, texts)


def _embedder(encoder: FakeEncoder, batch_size: int = 8) -> Embedder:
    return Embedder(encoder, batch_size=batch_size, num_workers=0, memory_cache_bytes=0)


def test_an_oom_halves_the_batch_retries_the_same_images_and_keeps_the_size() -> None:
    images = random_images(13, seed=3)
    want = _embedder(FakeEncoder()).embed(Inputs(key="imgs", images=images))
    tight = TightEncoder(fits=3)
    embedder = _embedder(tight)
    got = embedder.embed(Inputs(key="imgs", images=images))
    np.testing.assert_array_equal(got, want)
    # 8 fails, 4 fails, then 2 at a time; the loader's next batch (5) is cut to 2 at once
    assert tight.attempts == [8, 4, 2, 2, 2, 2, 2, 2, 1]
    assert tight.pixel_batches == [2, 2, 2, 2, 2, 2, 1]
    assert (embedder.fit.limit, embedder.fit.halvings) == (2, 2)

    tight.attempts.clear()
    more = random_images(5, seed=4)
    again = embedder.embed(Inputs(key="more", images=more))
    assert tight.attempts == [2, 2, 1]  # later encodes load batches of the size that fits
    np.testing.assert_array_equal(again, _embedder(FakeEncoder()).embed(Inputs("more", more)))


@pytest.mark.parametrize("error", [RuntimeError, torch.cuda.OutOfMemoryError])
def test_texts_and_fused_inputs_are_split_alike(error: type[Exception]) -> None:
    texts = [f"caption number {i}" + "!" * i for i in range(11)]
    images = random_images(11, seed=5)
    plain = _embedder(FakeEncoder())
    tight = TightEncoder(fits=5, error=error)
    embedder = _embedder(tight)
    for inputs in (Inputs(key="t", texts=texts), Inputs(key="f", images=images, texts=texts)):
        np.testing.assert_array_equal(embedder.embed(inputs), plain.embed(inputs))
    assert tight.attempts[:2] == [8, 4] and max(tight.attempts[2:]) <= 4
    assert embedder.fit.limit == 4
    assert sum(len(batch) for batch in tight.text_batches) == len(texts)  # each text once


def test_an_input_too_big_alone_fails_its_encode_with_one_line_and_nothing_else() -> None:
    tight = TightEncoder(fits=100)
    tight.too_big = "huge"
    embedder = _embedder(tight, batch_size=4)
    with pytest.raises(EncoderOutOfMemory) as caught:
        embedder.embed(Inputs(key="Task/test/texts", texts=["a", "huge", "b", "c"]))
    line = one_line(caught.value)
    assert line == (
        "EncoderOutOfMemory: out of memory encoding a single input of the text inputs "
        f"'Task/test/texts' (batch size 1): {CUDA_OOM}"
    )
    assert "\n" not in line
    assert embedder.fit.limit is None  # the halvings that led there are undone
    tight.attempts.clear()
    ok = embedder.embed(Inputs(key="next", texts=["d", "e", "f"]))
    assert ok.shape == (3, 6) and tight.attempts == [3]  # the next task runs as before


def test_other_errors_are_not_retried() -> None:
    class Broken(FakeEncoder):
        calls = 0

        def encode_texts(self, texts: Sequence[str]) -> torch.Tensor:
            self.calls += 1
            raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    broken = Broken()
    with pytest.raises(RuntimeError, match="shapes"):
        _embedder(broken).embed(Inputs(key="t", texts=["a", "b"]))
    assert broken.calls == 1


def test_what_counts_as_out_of_memory() -> None:
    assert is_out_of_memory(torch.cuda.OutOfMemoryError(CUDA_OOM))
    assert is_out_of_memory(RuntimeError("CUDA error: out of memory"))
    assert is_out_of_memory(RuntimeError("MPS backend out of memory (MPS allocated: 8 GB)"))
    assert not is_out_of_memory(RuntimeError("expected scalar type Half but found Float"))
    assert not is_out_of_memory(ValueError("out of memory"))  # not the allocator's error


def test_the_normal_path_makes_one_call_per_batch() -> None:
    tight = TightEncoder(fits=8)
    embedder = _embedder(tight)
    embedder.embed(Inputs(key="t", texts=[f"t{i}" for i in range(20)]))
    assert tight.attempts == [8, 8, 4] and embedder.fit.limit is None
