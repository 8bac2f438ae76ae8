"""Image helpers shared by adapters: the same RGB conversion on every path, and a fast
split of the common resize -> crop -> normalise preprocessing."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


def to_rgb(image: Any) -> Any:
    """PIL image in RGB mode (L, P, RGBA, CMYK, ... are converted; alpha is dropped).

    The embedder converts to RGB before `image_transform` too; converting here as well
    makes `encode_images` / `encode_fused` (given raw PIL images) agree with that path.
    """
    mode = getattr(image, "mode", "RGB")
    return image if mode == "RGB" else image.convert("RGB")


def pixel_batch(transform: Callable[[Any], Any], images: Sequence[Any]) -> Any:
    """Run `transform` on each image (as RGB) and stack the results into one tensor."""
    import torch

    if len(images) == 0:
        raise ValueError("no images to encode")
    return torch.stack([transform(to_rgb(image)) for image in images])


@dataclass(frozen=True)
class ResizeCropNormalize:
    """The resize -> centre-crop -> rescale -> normalise pipeline of CLIP-style image
    processors, split where it is cheapest: resize and crop per image with PIL, giving a
    uint8 (3, H, W) tensor (in DataLoader workers); rescale and normalise as one float op
    on the stacked batch (`normalize`), instead of several numpy passes per image.

    Resize is either to `shortest_edge` (aspect ratio kept, the long side truncated as
    transformers does) or to exactly `size` (height, width); `crop` (height, width) pads
    with zeros where the resized image is smaller, as transformers' centre crop does.
    """

    resample: int
    scale: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    shortest_edge: int | None = None
    size: tuple[int, int] | None = None
    crop: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if (self.shortest_edge is None) == (self.size is None):
            raise ValueError("give exactly one of shortest_edge and size")

    def resized_shape(self, width: int, height: int) -> tuple[int, int]:
        """(height, width) after the resize step."""
        if self.size is not None:
            return self.size
        assert self.shortest_edge is not None
        edge = self.shortest_edge
        if width <= height:
            return int(edge * height / width), edge
        return edge, int(edge * width / height)

    def __call__(self, image: Any) -> Any:
        """PIL image -> uint8 tensor (3, H, W), resized and cropped."""
        import torch

        image = to_rgb(image)
        height, width = self.resized_shape(*image.size)
        pixels = np.asarray(image.resize((width, height), resample=self.resample))
        if self.crop is not None:
            pixels = center_crop_hwc(pixels, *self.crop)
        return torch.from_numpy(np.ascontiguousarray(pixels.transpose(2, 0, 1)))

    def normalize(self, batch: Any) -> Any:
        """uint8 (n, 3, H, W) -> float32 (x * scale - mean) / std, on the batch's device.

        Bit for bit what transformers' PIL processor computes (rescale in float64, then
        subtract and divide in float32), so scores do not move: an unconverged probe
        classifier turns even 1e-7 pixel differences into a few flipped predictions.
        """
        import torch

        divisor = self.rescale_divisor
        if divisor is not None:  # x / d in float32 equals float32(x * scale) for all bytes
            pixels = batch.to(torch.float32).div_(divisor)
        else:
            pixels = batch.to(torch.float64).mul_(self.scale).to(torch.float32)
        mean = torch.tensor(self.mean, dtype=torch.float32, device=batch.device)
        std = torch.tensor(self.std, dtype=torch.float32, device=batch.device)
        return pixels.sub_(mean.view(1, -1, 1, 1)).div_(std.view(1, -1, 1, 1))

    @functools.cached_property
    def rescale_divisor(self) -> float | None:
        """d with float32(x) / d == float32(float64(x) * scale) for every byte x, if any:
        the float32 division is much cheaper than a float64 pass."""
        divisor = np.float32(1.0 / self.scale)
        byte_values = np.arange(256)
        wanted = (byte_values.astype(np.float64) * self.scale).astype(np.float32)
        if np.array_equal(byte_values.astype(np.float32) / divisor, wanted):
            return float(divisor)
        return None


def center_crop_hwc(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """Centre crop of an (H, W, C) array; where it is smaller, zeros pad it first (placed
    as transformers' `center_crop` places them, so odd margins land the same way)."""
    have_h, have_w = pixels.shape[:2]
    top, left = (have_h - height) // 2, (have_w - width) // 2
    if top >= 0 and left >= 0:
        return pixels[top : top + height, left : left + width]
    new_h, new_w = max(height, have_h), max(width, have_w)
    padded = np.zeros((new_h, new_w, *pixels.shape[2:]), dtype=pixels.dtype)
    pad_top, pad_left = math.ceil((new_h - have_h) / 2), math.ceil((new_w - have_w) / 2)
    padded[pad_top : pad_top + have_h, pad_left : pad_left + have_w] = pixels
    top, left = top + pad_top, left + pad_left
    return padded[max(0, top) : min(new_h, top + height), max(0, left) : min(new_w, left + width)]
