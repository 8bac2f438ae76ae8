"""Offline visual STS datasets: sentence pairs rendered as images, with gold scores from
how many word slots differ, in English and German."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from datasets import Features, Image, Value

from pytest_mieb.data.local.draw import text_image
from pytest_mieb.data.local.layout import Table, image_cell, write_configs, write_default_config

STS_WORDS = {
    "en": (
        ("the",), ("small", "large", "old", "young", "quiet", "bright"),
        ("dog", "child", "farmer", "pilot", "singer", "doctor"),
        ("watches", "follows", "greets", "paints", "helps", "finds"),
        ("the",), ("tall", "tired", "happy", "busy", "calm", "angry"),
        ("teacher", "cat", "baker", "sailor", "nurse", "horse"),
        ("at dawn", "in the park", "at home", "by the river", "in town", "at night"),
    ),
    "de": (
        ("der",), ("kleine", "große", "alte", "junge", "stille", "helle"),
        ("Hund", "Bauer", "Pilot", "Sänger", "Arzt", "Koch"),
        ("sieht", "folgt", "grüßt", "malt", "hilft", "findet"),
        ("den",), ("müden", "frohen", "ruhigen", "wilden", "klugen", "stolzen"),
        ("Lehrer", "Kater", "Bäcker", "Seemann", "Fahrer", "Maler"),
        ("am Morgen", "im Park", "zu Hause", "am Fluss", "in der Stadt", "bei Nacht"),
    ),
}  # fmt: skip


def sts_pair(rng: random.Random, language: str) -> tuple[str, str, float]:
    """Two sentences differing in k of the 6 varying slots; gold score 5 * (6 - k) / 6."""
    slots = STS_WORDS[language]
    varying = [i for i, words in enumerate(slots) if len(words) > 1]
    first = [rng.choice(words) for words in slots]
    second = list(first)
    changed = rng.sample(varying, rng.randint(0, len(varying)))
    for i in changed:
        second[i] = rng.choice([w for w in slots[i] if w != first[i]])
    score = round(5.0 * (len(varying) - len(changed)) / len(varying), 4)
    return " ".join(first) + ".", " ".join(second) + ".", score


def _sts_table(rng: random.Random, language: str, n: int) -> Table:
    rows: dict[str, list[Any]] = {"sentence1": [], "sentence2": [], "score": []}
    for _ in range(n):
        one, two, score = sts_pair(rng, language)
        rows["sentence1"].append(image_cell(text_image([one], 300, 24, size=12)))
        rows["sentence2"].append(image_cell(text_image([two], 300, 24, size=12)))
        rows["score"].append(score)
    return rows, Features(sentence1=Image(), sentence2=Image(), score=Value("float64"))


def build_rendered_sts(root: Path) -> None:
    """mteb/rendered-sts1x-like: split test, sentence1 / sentence2 images and a 0-5 score."""
    write_default_config(root, {"test": _sts_table(random.Random(43), "en", 30)})


def build_rendered_sts_multi(root: Path) -> None:
    """Pixel-Linguist/rendered-sts17-like: one config per language (en, de), split test."""
    rng = random.Random(47)
    write_configs(root, {lang: {"test": _sts_table(rng, lang, 20)} for lang in ("en", "de")})
