"""Offline labelled-image datasets (classification, clustering, zero-shot): digits from
scikit-learn's bundled set, in parquet and WebDataset layouts, and multi-label shape scenes."""

from __future__ import annotations

import random
from functools import lru_cache
from pathlib import Path
from typing import Any

from datasets import ClassLabel, Features, Image, Sequence

from pytest_mieb.data.local.draw import COLOURS, SHAPES, Thing, digit_image, png_bytes, scene
from pytest_mieb.data.local.layout import Table, image_cell, write_default_config, write_webdataset

DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@lru_cache(maxsize=1)
def _digits() -> Any:
    from sklearn.datasets import load_digits

    return load_digits()


def build_digits(root: Path) -> None:
    """mteb/mnist-like: splits train / test, columns image (mode L) and label (ClassLabel)."""
    train, test = _digit_rows(range(0, 10)), _digit_rows(range(10, 15))
    features = Features(image=Image(), label=ClassLabel(names=list(DIGIT_NAMES)))
    write_default_config(
        root, {"train": _digit_table(train, features), "test": _digit_table(test, features)}
    )


def build_wds_digits(root: Path) -> None:
    """mteb/wds_*-like: WebDataset shard test/0.tar with `png` and `cls` members."""
    digits = _digits()
    samples = [
        (
            f"s{i:05d}",
            {
                "png": png_bytes(digit_image(digits.images[i])),
                "cls": str(int(digits.target[i])).encode(),
            },
        )
        for i in _digit_rows(range(15, 20))
    ]
    write_webdataset(root, {"test": samples})


def _digit_rows(positions: range) -> list[int]:
    """Row numbers of the digits dataset: the given per-class positions of every class."""
    target = _digits().target
    rows: list[int] = []
    for label in range(10):
        of_label = [i for i, t in enumerate(target) if t == label]
        rows.extend(of_label[p] for p in positions)
    return sorted(rows)


def _digit_table(rows: list[int], features: Any) -> Table:
    digits = _digits()
    return (
        {
            "image": [image_cell(digit_image(digits.images[i])) for i in rows],
            "label": [int(digits.target[i]) for i in rows],
        },
        features,
    )


def build_multilabel_shapes(root: Path) -> None:
    """mteb/VOC2007-like: image + `classes` (list of label ids), splits train / test."""
    rng = random.Random(7)
    slots = ((16, 18), (46, 18), (31, 46))
    features = Features(image=Image(), classes=Sequence(ClassLabel(names=list(SHAPES))))
    splits = {}
    for split, n in (("train", 40), ("test", 30)):
        images, classes = [], []
        for _ in range(n):
            shapes = rng.sample(SHAPES, rng.randint(1, 3))
            things = [
                Thing(s, rng.choice(list(COLOURS)), cx, cy, 10)
                for s, (cx, cy) in zip(shapes, rng.sample(slots, len(shapes)), strict=False)
            ]
            images.append(image_cell(scene(things)))
            classes.append(sorted(SHAPES.index(s) for s in shapes))
        splits[split] = ({"image": images, "classes": classes}, features)
    write_default_config(root, splits)
