"""The fixed inputs both sides encode: images, texts, image+text pairs, and task contexts.

Deterministic and small. Images come in the modes and odd sizes real datasets hold (RGB, RGBA,
L, P; portrait, landscape, tiny), texts with surrounding whitespace and of different lengths,
so that preprocessing differences show up. Contexts name real MIEB tasks of each call shape, so
that instruction-following recipes choose their per-task, per-side instructions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from PIL import Image, ImageDraw


def images(seed: int = 0) -> list[Image.Image]:
    """Six drawn pictures of different sizes and modes."""
    rng = random.Random(seed)
    shapes = [((64, 48), "RGB"), ((40, 72), "RGB"), ((33, 33), "RGBA"), ((96, 64), "L"),
              ((50, 30), "P"), ((17, 23), "RGB")]  # fmt: skip
    out = []
    for (w, h), mode in shapes:
        img = Image.new("RGB", (w, h), tuple(rng.randrange(256) for _ in range(3)))
        draw = ImageDraw.Draw(img)
        for _ in range(4):
            x0, y0 = rng.randrange(w), rng.randrange(h)
            x1, y1 = min(w - 1, x0 + rng.randrange(4, 20)), min(h - 1, y0 + rng.randrange(4, 20))
            draw.rectangle([x0, y0, x1, y1], fill=tuple(rng.randrange(256) for _ in range(3)))
        if mode == "RGBA":
            img = img.convert("RGBA")
            img.putalpha(Image.new("L", (w, h), 200))
        elif mode != "RGB":
            img = img.convert(mode)
        out.append(img)
    return out


TEXTS: list[str] = [
    "a photo of a cat.",
    "  A red square next to a blue circle on a grey background.  ",
    "zwei Hunde spielen im Schnee",
    "What is the total budget shown in the table for 2021?",
    "x",
    "a long caption " + " ".join(f"word{k}" for k in range(60)),
]


@dataclass(frozen=True)
class ProbeContext:
    """A task context as both sides describe it (names as in MIEB)."""

    task: str
    task_type: str
    category: str
    side: str | None  # "query" / "document" / None


CONTEXTS: list[ProbeContext] = [
    ProbeContext("CIFAR10", "ImageClassification", "i2i", None),
    ProbeContext("CIFAR10ZeroShot", "ZeroShotClassification", "i2t", None),
    ProbeContext("Flickr30kT2IRetrieval", "Any2AnyRetrieval", "t2i", "query"),
    ProbeContext("Flickr30kT2IRetrieval", "Any2AnyRetrieval", "t2i", "document"),
    ProbeContext("CIRRIT2IRetrieval", "Any2AnyRetrieval", "it2i", "query"),
    ProbeContext("VidoreDocVQARetrieval", "DocumentUnderstanding", "t2i", "query"),
    ProbeContext("VidoreDocVQARetrieval", "DocumentUnderstanding", "t2i", "document"),
    ProbeContext("STS13VisualSTS", "VisualSTS(eng)", "i2i", None),
]
