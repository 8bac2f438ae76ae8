"""Inputs for the API model tests: small drawn images."""

from __future__ import annotations

from typing import Any


def picture(seed: int = 0, size: tuple[int, int] = (24, 16), mode: str = "RGB") -> Any:
    """A small drawn image (distinct per seed)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", size, (seed * 40 % 256, 90, 200 - seed % 200))
    ImageDraw.Draw(img).rectangle([2, 2, 2 + seed % 9, 9], fill=(250, seed % 256, 10))
    return img.convert(mode) if mode != "RGB" else img
