"""Pictures for the offline suite, drawn with PIL only: shapes, scenes, text, digits, and
the seeded choice of things a scene holds (`single_things`, `two_distinct`).

Everything is a pure function of its arguments, so the generated datasets are the same
on every run of the same Pillow.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

SHAPES = ("circle", "square", "triangle", "diamond", "cross")
COLOURS = {
    "red": (220, 40, 40),
    "green": (30, 150, 60),
    "blue": (40, 80, 220),
    "yellow": (225, 190, 20),
    "purple": (140, 50, 170),
}
BACKGROUND = (245, 245, 240)
SCENE_SIZE = 64


@dataclass(frozen=True)
class Thing:
    """One shape in a scene: centre (cx, cy) and half-size r, in pixels."""

    shape: str
    colour: str
    cx: int
    cy: int
    r: int = 9

    @property
    def words(self) -> str:
        return f"{self.colour} {self.shape}"


def scene(things: Sequence[Thing], size: int = SCENE_SIZE) -> Image.Image:
    image = Image.new("RGB", (size, size), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for thing in things:
        _draw_thing(draw, thing)
    return image


def _draw_thing(draw: ImageDraw.ImageDraw, t: Thing) -> None:
    fill = COLOURS[t.colour]
    box = (t.cx - t.r, t.cy - t.r, t.cx + t.r, t.cy + t.r)
    if t.shape == "circle":
        draw.ellipse(box, fill=fill)
    elif t.shape == "square":
        draw.rectangle(box, fill=fill)
    elif t.shape == "triangle":
        draw.polygon([(t.cx, t.cy - t.r), (t.cx - t.r, t.cy + t.r), (t.cx + t.r, t.cy + t.r)], fill)
    elif t.shape == "diamond":
        draw.polygon(
            [(t.cx, t.cy - t.r), (t.cx + t.r, t.cy), (t.cx, t.cy + t.r), (t.cx - t.r, t.cy)], fill
        )
    elif t.shape == "cross":
        w = max(2, t.r // 3)
        draw.rectangle((t.cx - t.r, t.cy - w, t.cx + t.r, t.cy + w), fill=fill)
        draw.rectangle((t.cx - w, t.cy - t.r, t.cx + w, t.cy + t.r), fill=fill)
    else:
        raise ValueError(f"unknown shape {t.shape!r}")


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled default font (no system fonts needed)."""
    return ImageFont.load_default(size=size)


def text_image(lines: Sequence[str], width: int, height: int, size: int = 12) -> Image.Image:
    """Black text on white, one line under the other, from the top left."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    face = font(size)
    y = 4
    for line in lines:
        draw.text((4, y), line, fill=(0, 0, 0), font=face)
        y += size + 3
    return image


def digit_image(pixels: Sequence[Sequence[float]], scale: int = 4) -> Image.Image:
    """An 8x8 scikit-learn digit (values 0..16) as a grey-scale ("L") image, upscaled.

    Kept in mode L on purpose: the data layer's RGB conversion is then exercised."""
    rows = [[round(v * 255 / 16) for v in row] for row in pixels]
    small = Image.new("L", (len(rows[0]), len(rows)))
    small.putdata([v for row in rows for v in row])
    return small.resize((small.width * scale, small.height * scale), Image.Resampling.NEAREST)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def single_things(rng: random.Random, n: int) -> list[Thing]:
    """`n` single-shape scenes' things cycling over shapes, with varied colour/place/size."""
    things = []
    colours = list(COLOURS)
    for k in range(n):
        things.append(
            Thing(
                SHAPES[k % len(SHAPES)],
                colours[rng.randrange(len(colours))],
                rng.randint(18, 46),
                rng.randint(18, 46),
                rng.randint(7, 13),
            )
        )
    return things


def two_distinct(rng: random.Random) -> tuple[tuple[str, str], tuple[str, str]]:
    """Two (shape, colour) pairs, differing in shape and in colour."""
    first_shape, second_shape = rng.sample(SHAPES, 2)
    first_colour, second_colour = rng.sample(list(COLOURS), 2)
    return (first_shape, first_colour), (second_shape, second_colour)
