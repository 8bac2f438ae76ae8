"""Image helpers shared by adapters: the same RGB conversion on every path."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


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
