"""Small synthetic pictures and texts, drawn with PIL from a seeded generator.

A *concept* is a (colour, shape) pair numbered 0, 1, 2, ...: concept k has colour
`COLOURS[k % 8]` and a shape that changes every eight concepts, so the first eight
concepts differ in colour (what a pixel-level baseline sees best) and later ones in shape
too. `concept_image` draws one instance of a concept: the shape at a jittered place and
size, its colour jittered, on a noisy grey background, so two instances of one concept
look alike but not identical. `concept_words` names a concept ("red circle"); captions,
questions and rendered sentences are built from those words, so texts about one concept
share character n-grams.
"""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (215, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 70, 215),
    "yellow": (230, 210, 40),
    "purple": (140, 50, 170),
    "orange": (240, 140, 30),
    "cyan": (40, 200, 210),
    "pink": (240, 120, 180),
}
SHAPES = ("circle", "square", "triangle", "diamond", "cross", "ring", "bar", "star")
COLOUR_NAMES = tuple(COLOURS)
N_CONCEPTS = len(COLOURS) * len(SHAPES)


def concept(k: int) -> tuple[str, str]:
    """(colour name, shape name) of concept `k`."""
    k %= N_CONCEPTS
    return COLOUR_NAMES[k % len(COLOURS)], SHAPES[(k // len(COLOURS) + k) % len(SHAPES)]


def concept_words(k: int) -> str:
    colour, shape = concept(k)
    return f"{colour} {shape}"


def rng_for(*parts: Any) -> np.random.Generator:
    """A generator seeded from any mix of ints and strings (stable across processes)."""
    import zlib

    words = [p if isinstance(p, int) else zlib.crc32(str(p).encode()) for p in parts]
    return np.random.default_rng([abs(int(w)) for w in words])


def _background(rng: np.random.Generator, size: int, mode: str) -> Image.Image:
    base = int(rng.integers(90, 160))
    noise = rng.integers(-18, 19, size=(size, size, 1))
    pixels = np.clip(base + noise, 0, 255).astype(np.uint8).repeat(3, axis=2)
    return Image.fromarray(pixels, "RGB")


def _shape(draw: ImageDraw.ImageDraw, shape: str, cx: float, cy: float, r: float, fill) -> None:
    box = (cx - r, cy - r, cx + r, cy + r)
    if shape == "circle":
        draw.ellipse(box, fill=fill)
    elif shape == "square":
        draw.rectangle(box, fill=fill)
    elif shape == "triangle":
        draw.polygon([(cx, cy - r), (cx + r, cy + r), (cx - r, cy + r)], fill=fill)
    elif shape == "diamond":
        draw.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], fill=fill)
    elif shape == "cross":
        w = r / 3
        draw.rectangle((cx - w, cy - r, cx + w, cy + r), fill=fill)
        draw.rectangle((cx - r, cy - w, cx + r, cy + w), fill=fill)
    elif shape == "ring":
        draw.ellipse(box, outline=fill, width=max(2, int(r / 2.5)))
    elif shape == "bar":
        draw.rectangle((cx - r, cy - r / 3, cx + r, cy + r / 3), fill=fill)
    else:  # star: two overlaid triangles
        draw.polygon([(cx, cy - r), (cx + r, cy + r / 2), (cx - r, cy + r / 2)], fill=fill)
        draw.polygon([(cx, cy + r), (cx + r, cy - r / 2), (cx - r, cy - r / 2)], fill=fill)


def concept_image(
    k: int, rng: np.random.Generator, size: int = 32, mode: str = "RGB", extra: int = 0
) -> Image.Image:
    """One instance of concept `k` (plus `extra` small distractor shapes)."""
    colour, shape = concept(k)
    image = _background(rng, size, mode)
    draw = ImageDraw.Draw(image)
    for _ in range(extra):
        other = concept(int(rng.integers(0, N_CONCEPTS)))
        rr = size * 0.1
        _shape(
            draw,
            other[1],
            rng.uniform(rr, size - rr),
            rng.uniform(rr, size - rr),
            rr,
            COLOURS[other[0]],
        )
    r = size * rng.uniform(0.24, 0.34)
    cx = size / 2 + rng.uniform(-0.12, 0.12) * size
    cy = size / 2 + rng.uniform(-0.12, 0.12) * size
    fill = tuple(int(np.clip(c + rng.integers(-25, 26), 0, 255)) for c in COLOURS[colour])
    _shape(draw, shape, cx, cy, r, fill)
    return image.convert(mode) if mode != "RGB" else image


def objects_image(
    things: list[tuple[int, float, float, float]], rng: np.random.Generator, size: int = 48
) -> Image.Image:
    """Several concepts at given places: (concept, x, y, radius) in fractions of `size`."""
    image = _background(rng, size, "RGB")
    draw = ImageDraw.Draw(image)
    for k, x, y, r in things:
        colour, shape = concept(k)
        _shape(draw, shape, x * size, y * size, r * size, COLOURS[colour])
    return image


@lru_cache(maxsize=8)
def _font(size: int) -> Any:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: one bitmap size
        return ImageFont.load_default()


def text_image(text: str, width: int = 96, height: int = 32, font_size: int = 10) -> Image.Image:
    """`text` rendered black on white, wrapped to the width (a 'rendered sentence')."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    font = _font(font_size)
    line, y = "", 1
    for word in text.split():
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) > width - 4 and line:
            draw.text((2, y), line, fill=(0, 0, 0), font=font)
            line, y = word, y + font_size + 1
        else:
            line = trial
    draw.text((2, y), line, fill=(0, 0, 0), font=font)
    return image


def page_image(title: str, body: str, k: int, rng: np.random.Generator) -> Image.Image:
    """A tiny 'document page': a coloured header band (concept colour), title, body text."""
    width, height = 48, 64
    image = Image.new("RGB", (width, height), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    colour, _ = concept(k)
    draw.rectangle((0, 0, width, 10), fill=COLOURS[colour])
    font = _font(7)
    draw.text((2, 12), title[:14], fill=(0, 0, 0), font=font)
    for i, start in enumerate(range(0, min(len(body), 60), 12)):
        draw.text((2, 22 + 8 * i), body[start : start + 12], fill=(60, 60, 60), font=font)
    for _ in range(3):
        x = int(rng.integers(2, width - 8))
        draw.line((x, height - 6, x + 6, height - 6), fill=(120, 120, 120))
    return image


def encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    """Encoded bytes of `image` ("PNG", "JPEG", "WEBP")."""
    buffer = io.BytesIO()
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.save(buffer, format=fmt, **({"quality": 90} if fmt in ("JPEG", "WEBP") else {}))
    return buffer.getvalue()


def image_cell(image: Image.Image, fmt: str = "PNG", path: str | None = None) -> dict[str, Any]:
    """An `Image` (or raw {bytes, path} struct) cell as the Hub's parquet files store it."""
    return {"bytes": encode(image, fmt), "path": path}


# -- words ---------------------------------------------------------------------------------

SENTENCE_WORDS = (
    "a man is playing the guitar on a stage",
    "the woman slices an onion in the kitchen",
    "two dogs run across the green field",
    "a child reads a book under the tree",
    "the train arrives at the station late",
    "a cat sleeps on the warm windowsill",
    "people walk along the beach at sunset",
    "the chef cooks pasta for the guests",
    "a bird sits on the wooden fence",
    "the boy kicks a red ball into the goal",
    "stock markets fell sharply on monday",
    "the council approved the new budget",
)


def sentence_pair(i: int, rng: np.random.Generator) -> tuple[str, str, float]:
    """Two sentences and a 0-5 similarity: the second is the first with words replaced."""
    first = SENTENCE_WORDS[i % len(SENTENCE_WORDS)].split()
    other = SENTENCE_WORDS[int(rng.integers(0, len(SENTENCE_WORDS)))].split()
    keep = float(rng.uniform(0.0, 1.0))
    second = [w if rng.uniform() < keep else other[j % len(other)] for j, w in enumerate(first)]
    same = sum(a == b for a, b in zip(first, second, strict=True)) / len(first)
    return " ".join(first), " ".join(second), round(5.0 * same, 2)
