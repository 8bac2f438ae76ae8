"""`ImageRows.pixel_batch`: one uint8 batch written in place, equal to stacking the rows."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from embed_fakes import fake_transform, random_images
from PIL import Image
from torchvision import transforms

from pytest_mieb.embed.decode import ImageRows, RowFailure, collate_pixels
from pytest_mieb.models.imaging import BatchNormalize, ResizeCropNormalize, SplitAtToTensor

CLIP_LIKE = ResizeCropNormalize(
    resample=3, scale=1 / 255, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5), shortest_edge=20,
    crop=(16, 16),
)  # fmt: skip
OPEN_CLIP_LIKE = SplitAtToTensor(
    transforms.Compose([transforms.Resize(18), transforms.CenterCrop(16)]),
    BatchNormalize(1 / 255, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
)


def mixed_images() -> list[Image.Image]:
    """Square, wide, tall, tiny (the crop pads it), greyscale and RGBA images."""
    rng = np.random.default_rng(3)
    shapes = [(16, 16), (12, 30), (40, 9), (5, 7), (16, 16)]
    images = [Image.fromarray(rng.integers(0, 256, (*s, 3), dtype=np.uint8)) for s in shapes]
    images.append(Image.fromarray(rng.integers(0, 256, (20, 20), dtype=np.uint8), "L"))
    images.append(Image.fromarray(rng.integers(0, 256, (20, 20, 4), dtype=np.uint8), "RGBA"))
    return images


@pytest.mark.parametrize("transform", [CLIP_LIKE, OPEN_CLIP_LIKE], ids=["resize-crop", "split"])
def test_the_batch_is_the_stacked_rows_bit_for_bit(transform: object) -> None:
    rows = ImageRows(mixed_images(), transform)  # type: ignore[arg-type]
    batch = rows.pixel_batch(range(1, 7))
    expected = collate_pixels([rows[i] for i in range(1, 7)])
    assert isinstance(batch, torch.Tensor) and batch.dtype == torch.uint8
    assert batch.is_contiguous() and torch.equal(batch, expected)


def test_a_row_that_cannot_be_read_comes_back_as_the_first_failure() -> None:
    images: list = list(random_images(4, seed=1))
    images[2] = {"bytes": b"not an image", "path": None}
    images[3] = None
    failure = ImageRows(images, CLIP_LIKE).pixel_batch(range(4))
    assert isinstance(failure, RowFailure) and failure.row == 2
    assert "Unidentified" in failure.reason


def test_an_image_that_fails_late_in_the_transform_is_a_row_failure() -> None:
    buffer = io.BytesIO()
    random_images(1, seed=2, size=64)[0].save(buffer, format="PNG")
    truncated = {"bytes": buffer.getvalue()[:200], "path": None}  # decodes only when resized
    failure = ImageRows([random_images(1)[0], truncated], CLIP_LIKE).pixel_batch(range(2))
    assert isinstance(failure, RowFailure) and failure.row == 1


def test_a_transform_bug_is_raised_not_blamed_on_the_image() -> None:
    class Broken(ResizeCropNormalize):
        def hwc_uint8(self, image: object) -> np.ndarray:
            raise TypeError("bug in the transform")

    broken = Broken(resample=3, scale=1 / 255, mean=(0, 0, 0), std=(1, 1, 1), size=(8, 8))
    with pytest.raises(TypeError, match="bug in the transform"):
        ImageRows(random_images(2), broken).pixel_batch(range(2))


def test_rows_of_different_sizes_fail_as_stacking_them_does() -> None:
    no_crop = ResizeCropNormalize(
        resample=3, scale=1 / 255, mean=(0, 0, 0), std=(1, 1, 1), shortest_edge=10
    )
    rows = ImageRows(mixed_images(), no_crop)
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        rows.pixel_batch(range(3))


def test_transforms_without_the_array_step_are_stacked_row_by_row() -> None:
    rows = ImageRows(random_images(3, seed=5), fake_transform())
    assert torch.equal(rows.pixel_batch(range(3)), collate_pixels([rows[i] for i in range(3)]))
