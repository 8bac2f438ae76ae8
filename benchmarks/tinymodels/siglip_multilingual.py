"""Tiny multilingual SigLIP, laid out as google/siglip-base-patch16-256-multilingual.

The same files as `siglip` (SentencePiece `spiece.model`, `SiglipTokenizer`, 64 tokens,
`SiglipImageProcessor`), with a vocabulary that also holds non-Latin words and a larger square
input (40 px here, standing for 256 against the base model's 224).
"""

from __future__ import annotations

from pathlib import Path

from tinymodels._write_once import write_once
from tinymodels.siglip import write_siglip

EXTRA_WORDS = ("hunde", "schnee", "spielen", "zwei", "über", "größe", "犬", "雪", "собака", "кот")


def build(root: Path, seed: int = 0) -> Path:
    return write_once(
        root, "siglip_multilingual",
        lambda out: write_siglip(out, seed, image_size=40, extra_words=EXTRA_WORDS),
    )  # fmt: skip
