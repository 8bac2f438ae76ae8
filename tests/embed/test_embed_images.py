"""Image inputs: RGB + transform in DataLoader workers, batching, order, clear row errors."""

from __future__ import annotations

import io
import logging
import os

import numpy as np
import pytest
import torch
from embed_fakes import (
    EMBED_DIM,
    FakeEncoder,
    ProcessRecordingEncoder,
    column_with_corrupt_row,
    decode_in_workers,
    expected_image_embedding,
    random_images,
)
from PIL import Image

from pytest_mieb.data.containers import Inputs
from pytest_mieb.embed.decode import load_rgb
from pytest_mieb.embed.embedder import Embedder


def expected(images: list[Image.Image]) -> np.ndarray:
    return np.stack([expected_image_embedding(im) for im in images])


def test_images_embed_in_order_with_batches_of_batch_size() -> None:
    images = random_images(10)
    encoder = FakeEncoder()
    out = Embedder(encoder, batch_size=4, num_workers=0).embed(Inputs(key="img", images=images))
    assert out.dtype == np.float32
    assert out.shape == (10, EMBED_DIM)
    np.testing.assert_allclose(out, expected(images), rtol=1e-6, atol=1e-7)
    assert encoder.pixel_batches == [4, 4, 2]


def test_non_rgb_images_are_converted_to_rgb_before_the_transform() -> None:
    base = random_images(3, seed=1)
    images = [base[0].convert("L"), base[1].convert("RGBA"), base[2].convert("P")]
    out = Embedder(FakeEncoder(), num_workers=0).embed(Inputs(key="modes", images=images))
    np.testing.assert_allclose(out, expected(images), rtol=1e-6, atol=1e-7)
    grey = out[0]
    assert grey[0] == pytest.approx(grey[1]) and grey[1] == pytest.approx(grey[2])


def test_worker_processes_give_the_same_embeddings_as_the_main_process() -> None:
    images = random_images(24, seed=2)
    in_main = Embedder(FakeEncoder(), batch_size=5, num_workers=0, memory_cache_bytes=0)
    encoder = FakeEncoder()
    in_workers = Embedder(encoder, batch_size=5, num_workers=2, memory_cache_bytes=0)
    decode_in_workers(in_workers)
    inputs = Inputs(key="workers", images=images)
    np.testing.assert_array_equal(in_workers.embed(inputs), in_main.embed(inputs))
    assert encoder.pixel_batches == [5, 5, 5, 5, 4]


@pytest.mark.parametrize("num_workers", [0, 2])
def test_transforms_run_in_worker_processes_when_asked(num_workers: int) -> None:
    """The first batch is always decoded in the main process (it times the decoding)."""
    encoder = ProcessRecordingEncoder()
    embedder = Embedder(encoder, batch_size=4, num_workers=num_workers)
    decode_in_workers(embedder)
    embedder.embed(Inputs(key="pids", images=random_images(16)))
    workers = encoder.transform_pids - {os.getpid()}
    assert os.getpid() in encoder.transform_pids
    assert 1 <= len(workers) <= num_workers if num_workers else not workers


def test_a_small_cheap_request_is_decoded_without_worker_processes() -> None:
    encoder = ProcessRecordingEncoder()
    Embedder(encoder, batch_size=4, num_workers=2).embed(Inputs(key="few", images=random_images(8)))
    assert encoder.transform_pids == {os.getpid()}


def test_undecoded_image_values_are_decoded_like_pil_images(tmp_path) -> None:
    images = random_images(4, seed=3)
    encoded = []
    for im in images:
        buffer = io.BytesIO()
        im.save(buffer, format="PNG")
        encoded.append(buffer.getvalue())
    paths = [tmp_path / f"{i}.png" for i in range(4)]
    for path, data in zip(paths, encoded, strict=True):
        path.write_bytes(data)
    values = [{"bytes": encoded[0], "path": None}, encoded[1], {"path": str(paths[2])}, paths[3]]
    out = Embedder(FakeEncoder(), num_workers=0).embed(Inputs(key="raw", images=values))
    np.testing.assert_allclose(out, expected(images), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("num_workers", [0, 2])
def test_corrupt_image_raises_value_error_naming_key_and_row(num_workers: int) -> None:
    images: list = list(random_images(6, seed=4))
    images[4] = {"bytes": b"this is not an image", "path": None}
    encoder = FakeEncoder()
    embedder = Embedder(encoder, batch_size=2, num_workers=num_workers)
    decode_in_workers(embedder)
    with pytest.raises(ValueError, match=r"'ds@rev/default/test/image'.*row 4.*Unidentified"):
        embedder.embed(Inputs(key="ds@rev/default/test/image", images=images))
    assert embedder.memory.nbytes == 0


@pytest.mark.parametrize("num_workers", [0, 2])
def test_the_data_layers_corrupt_image_error_reaches_the_caller_unchanged(
    num_workers: int,
) -> None:
    """Its one line names dataset, split, column and row; a ValueError naming only the
    inputs key (what the embedder used to raise) would hide it."""
    from pytest_mieb.data import CorruptImageError

    images = column_with_corrupt_row(5, bad_row=3, seed=6)
    embedder = Embedder(FakeEncoder(), batch_size=2, num_workers=num_workers)
    decode_in_workers(embedder)
    with pytest.raises(CorruptImageError) as info:
        embedder.embed(Inputs(key="acme/pics@abc123/default/test/photo", images=images))
    assert str(info.value).startswith(
        "acme/pics@abc123 split 'test' column 'photo' row 3: cannot decode the image "
        "(UnidentifiedImageError: "
    )
    assert embedder.memory.nbytes == 0


def test_truncated_image_file_is_reported_as_a_load_failure() -> None:
    buffer = io.BytesIO()
    random_images(1, seed=5, size=64)[0].save(buffer, format="JPEG")
    truncated = buffer.getvalue()[: len(buffer.getvalue()) // 2]
    with pytest.raises(ValueError, match=r"row 1 could not be loaded \(OSError"):
        Embedder(FakeEncoder(), num_workers=0).embed(
            Inputs(key="trunc", images=[random_images(1)[0], truncated])
        )


def test_missing_image_is_reported() -> None:
    with pytest.raises(ValueError, match=r"'gaps'.*row 0.*missing"):
        Embedder(FakeEncoder(), num_workers=0).embed(Inputs(key="gaps", images=[None]))


def test_load_rgb_converts_palette_and_alpha_images() -> None:
    im = random_images(1)[0]
    for mode in ("L", "RGBA", "P", "CMYK"):
        assert load_rgb(im.convert(mode)).mode == "RGB"


def test_empty_inputs_give_an_empty_matrix_without_calling_the_encoder() -> None:
    encoder = FakeEncoder()
    out = Embedder(encoder).embed(Inputs(key="none", images=[]))
    assert out.shape == (0, EMBED_DIM) and out.dtype == np.float32
    assert encoder.pixel_batches == []


class HalfPrecisionEncoder(FakeEncoder):
    def encode_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        return super().encode_pixels(pixels).half()


def test_low_precision_outputs_are_upcast_to_float32() -> None:
    images = random_images(3)
    out = Embedder(HalfPrecisionEncoder(), num_workers=0).embed(Inputs(key="h", images=images))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected(images), rtol=2e-3, atol=1e-3)


class WrongShapeEncoder(FakeEncoder):
    def encode_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        return super().encode_pixels(pixels)[:1]


def test_encoder_returning_the_wrong_row_count_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'bad'.*shape \(1, 6\) for a batch of 3"):
        Embedder(WrongShapeEncoder(), num_workers=0).embed(
            Inputs(key="bad", images=random_images(3))
        )


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="precision"):
        Embedder(FakeEncoder(), precision="fp8")
    with pytest.raises(ValueError, match="batch_size"):
        Embedder(FakeEncoder(), batch_size=0)
    with pytest.raises(ValueError, match="num_workers"):
        Embedder(FakeEncoder(), num_workers=-1)


def test_low_precision_on_cpu_runs_in_fp32_and_similarity_comes_from_the_encoder() -> None:
    embedder = Embedder(FakeEncoder(), precision="bf16", device="cpu", num_workers=0)
    images = random_images(2)
    np.testing.assert_allclose(
        embedder.embed(Inputs(key="p", images=images)), expected(images), rtol=1e-6, atol=1e-7
    )
    assert embedder.similarity == "cosine"


def test_progress_callback_sees_every_batch() -> None:
    seen: list[tuple[str, int, int]] = []
    embedder = Embedder(
        FakeEncoder(), batch_size=3, num_workers=0, progress=lambda *a: seen.append(a)
    )
    embedder.embed(Inputs(key="prog", images=random_images(7)))
    assert seen == [("prog", 3, 7), ("prog", 6, 7), ("prog", 7, 7)]


def test_long_encodes_log_progress(caplog) -> None:
    embedder = Embedder(FakeEncoder(), batch_size=1, num_workers=0, log_every=2)
    with caplog.at_level(logging.INFO, logger="pytest_mieb.embed.embedder"):
        embedder.embed(Inputs(key="long", images=random_images(5)))
    logged = [r.getMessage() for r in caplog.records]
    assert [m.split(" ")[1] for m in logged] == ["2/5", "4/5", "5/5"]
    assert all("image inputs of long" in m for m in logged)


def test_the_embedders_device_is_the_encoders_and_cpu_for_the_baselines(monkeypatch) -> None:
    """The device evaluators hand to top-k: the encoder's own, never "cuda if available"."""
    from pytest_mieb.models.baselines import PixelsBaseline

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert Embedder(PixelsBaseline(), num_workers=0).device == torch.device("cpu")
    placed = FakeEncoder()
    placed.device = "cuda:1"  # where the harness loaded the model
    assert Embedder(placed, num_workers=0).device == torch.device("cuda:1")


class PilImageEncoder:
    """An encoder that takes images as they are (an API model): no transform, `encode_images`."""

    embed_dim = 3
    similarity = "cosine"
    fingerprint = "pil-images"
    image_transform = None

    def __init__(self) -> None:
        self.batches: list[list[tuple[str, tuple[int, int]]]] = []

    def encode_images(self, images: list[Image.Image], *, prompt_type=None) -> np.ndarray:
        self.batches.append([(im.mode, im.size) for im in images])
        return np.array([np.asarray(im, np.float32).mean(axis=(0, 1)) for im in images])


def test_an_encoder_without_transform_gets_batches_of_rgb_pil_images() -> None:
    base = random_images(5, seed=3)
    images = [base[0].convert("L"), base[1].convert("RGBA"), *base[2:]]
    encoder = PilImageEncoder()
    out = Embedder(encoder, batch_size=2, num_workers=0).embed(Inputs(key="pil", images=images))
    assert [len(b) for b in encoder.batches] == [2, 2, 1]
    assert {mode for batch in encoder.batches for mode, _ in batch} == {"RGB"}
    want = [np.asarray(im.convert("RGB"), np.float32).mean(axis=(0, 1)) for im in images]
    np.testing.assert_allclose(out, np.stack(want), rtol=1e-6)


class ModeRecordingEncoder(FakeEncoder):
    """Takes PIL images (no transform) and notes the modes it was given."""

    def __init__(self, keeps_image_mode: bool) -> None:
        super().__init__(f"fake-modes-{keeps_image_mode}")
        self.keeps_image_mode = keeps_image_mode
        self.modes: list[str] = []

    @property
    def image_transform(self) -> None:
        return None

    def encode_images(self, images):
        self.modes.extend(im.mode for im in images)
        return super().encode_images([im.convert("RGB") for im in images])

    def encode_fused(self, images, texts):
        self.modes.extend(im.mode for im in images)
        return super().encode_fused([im.convert("RGB") for im in images], texts)


@pytest.mark.parametrize("num_workers", [0, 2])
@pytest.mark.parametrize("keeps", [True, False])
def test_an_encoder_may_ask_for_images_in_their_stored_mode(keeps: bool, num_workers: int) -> None:
    rgb = random_images(2, seed=9)
    stored = [rgb[0].convert("RGBA"), rgb[1].convert("L"), rgb[0].convert("P"), rgb[1]]
    encoder = ModeRecordingEncoder(keeps)
    embedder = Embedder(encoder, batch_size=2, num_workers=num_workers, memory_cache_bytes=0)
    decode_in_workers(embedder)
    embedder.embed(Inputs(key="modes", images=stored))
    embedder.embed(Inputs(key="modes-fused", images=stored, texts=["a", "b", "c", "d"]))
    want = ["RGBA", "L", "P", "RGB"] if keeps else ["RGB"] * 4
    assert encoder.modes == want * 2
