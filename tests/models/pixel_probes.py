"""Probe images for the fast pixel paths: the sizes, modes and aspect ratios that catch
off-by-one resize, crop and padding arithmetic."""

from __future__ import annotations

import numpy as np
from PIL import Image


def probe_images() -> list[Image.Image]:
    """Sizes on both sides of the targets, odd sizes, extreme aspect ratios; RGB, L, RGBA."""
    rng = np.random.default_rng(7)

    def noise(width: int, height: int, channels: int) -> np.ndarray:
        return rng.integers(0, 256, (height, width, channels), dtype=np.uint8)

    return [
        Image.fromarray(noise(40, 30, 3)),
        Image.fromarray(noise(31, 97, 3)),
        Image.fromarray(noise(257, 19, 3)),
        Image.fromarray(noise(500, 333, 3)),
        Image.fromarray(noise(7, 5, 3)),
        Image.fromarray(noise(45, 45, 1)[..., 0], "L"),
        Image.fromarray(noise(64, 50, 4), "RGBA"),  # random alpha
        Image.fromarray(np.dstack([noise(33, 60, 3), np.full((60, 33), 255, np.uint8)]), "RGBA"),
    ]
