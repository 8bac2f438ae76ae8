"""The worker side of image encoding: image cells in, RGB images or pixel tensors out.

Everything here runs in worker processes (DataLoader workers; on the CPU the forked
children of `embed.forked`) or in the main process with `num_workers=0`, so it must pickle
and must not raise across the process boundary: a row that cannot be read comes back as a
`RowFailure` value, and the main process raises it naming the inputs key and the row
(`pytest_mieb.embed.batches`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from pytest_mieb.data.errors import DataError
from pytest_mieb.data.images import open_image, to_rgb


def load_as_stored(item: Any) -> Image.Image:
    """Decode one image-column value (PIL image, `{"bytes", "path"}` dict, raw bytes or a
    file path) to a PIL image in its stored mode (alpha, palette, greyscale kept), EXIF
    orientation applied as the data layer applies it."""
    if item is None:
        raise ValueError("the image is missing (None)")
    if isinstance(item, dict) and not (item.get("bytes") or item.get("path")):
        raise TypeError("unsupported image value: a dict without bytes or path")
    if not isinstance(item, (Image.Image, dict, bytes, bytearray, str, os.PathLike)):
        raise TypeError(f"unsupported image value of type {type(item).__name__}")
    return open_image(item)


def load_rgb(item: Any) -> Image.Image:
    """`load_as_stored`, converted to RGB (what encoders get unless they keep the mode)."""
    return to_rgb(load_as_stored(item))


@dataclass(frozen=True)
class RowFailure:
    """A row that could not become model input; travels back from the worker as data.

    `data_error` keeps a data-layer error whole: its message already names the dataset,
    split, column and row, which a wrapper naming only the inputs key would hide.
    """

    row: int
    reason: str
    data_error: DataError | None = None

    @classmethod
    def of(cls, row: int, exc: Exception) -> RowFailure:
        data_error = exc if isinstance(exc, DataError) else None
        return cls(row, f"{type(exc).__name__}: {exc}", data_error)

    def error(self, key: str) -> Exception:
        if self.data_error is not None:
            return self.data_error
        return ValueError(
            f"Inputs {key!r}: image at row {self.row} could not be loaded ({self.reason})"
        )


class ImageRows(Dataset):
    """Row i -> RGB image (or, with `rgb=False`, the image in its stored mode), transformed
    to pixels when a transform is given."""

    def __init__(
        self, images: Sequence[Any], transform: Callable[[Any], Any] | None, rgb: bool = True
    ) -> None:
        self.images = images
        self.transform = transform
        self.rgb = rgb

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, row: int) -> Any:
        transform = self.transform
        if transform is None:
            return self._read(row, None)
        return self._read(row, lambda image: torch.as_tensor(transform(image)))

    def _read(self, row: int, step: Callable[[Any], Any] | None) -> Any:
        """Row `row` decoded, then through `step` when one is given; a row that cannot be
        read, or that fails in `step` with PIL's late decoding errors, is its `RowFailure`."""
        try:
            image = (load_rgb if self.rgb else load_as_stored)(self.images[row])
        except Exception as exc:  # any failure to read a row is reported with its row
            return RowFailure.of(row, exc)
        if step is None:
            return image
        try:
            return step(image)
        except (OSError, SyntaxError) as exc:  # PIL's late decoding errors
            return RowFailure.of(row, exc)

    def pixel_batch(self, rows: Sequence[int]) -> torch.Tensor | RowFailure:
        """The rows' pixels as one uint8 (n, C, H, W) batch, or the first row that failed:
        what `collate_pixels` makes of the rows one by one, with fewer copies where the
        transform offers `hwc_uint8` (image -> (H, W, C) uint8 array): each image is written
        into its place in the batch at once, channels moved first on the way."""
        hwc = getattr(self.transform, "hwc_uint8", None)
        if hwc is None or not self.rgb:
            return collate_pixels([self[row] for row in rows])
        batch: np.ndarray | None = None
        for slot, row in enumerate(rows):
            pixels = self._read(row, hwc)
            if isinstance(pixels, RowFailure):
                return pixels
            if batch is None:
                batch = np.empty((len(rows), pixels.shape[2], *pixels.shape[:2]), np.uint8)
            elif pixels.shape != (*batch.shape[2:], batch.shape[1]):
                return collate_pixels([self[row] for row in rows])  # sizes differ: as before
            batch[slot] = pixels.transpose(2, 0, 1)
        assert batch is not None, "a batch has at least one row"
        return torch.from_numpy(batch)


def _first_failure(items: list[Any]) -> RowFailure | None:
    return next((item for item in items if isinstance(item, RowFailure)), None)


def collate_pixels(items: list[Any]) -> torch.Tensor | RowFailure:
    """A batch of pixel tensors stacked, or the batch's first failed row."""
    failure = _first_failure(items)
    return failure if failure is not None else torch.stack(items)


def collate_images(items: list[Any]) -> list[Image.Image] | RowFailure:
    """A batch of RGB PIL images (for fused inputs), or the batch's first failed row."""
    failure = _first_failure(items)
    return failure if failure is not None else list(items)
