"""Retrieval built by the loaders from paired image/caption rows (default config).

* `hateful_memes` (Ahren09/MMSoc_HatefulMemes layout): splits train (two shards),
  validation, test; `id` int64, `image`, `text`, `label` int64, `split`. Some train and
  validation captions repeat a test caption, so the loaders' caption de-duplication of
  the pooled corpus (test, validation, train order) matters.
* `memotion` (MMSoc_Memotion_corrected): splits train (two shards), validation, test;
  `image`, `text_ocr`, `text_corrected` (sometimes null: such rows are dropped by both
  loaders), `humor`, `sarcasm`, `offensive`, `motivational`, `sentiment`, `split`.
* `scimmir` (m-a-p/SciMMIR card): splits train, validation, test; `image`,
  `file_name_index`, `text`, `class`, `super_class`, `sub_class`, `split`.
"""

from __future__ import annotations

from typing import Any

from hubfarm import draw
from hubfarm.common import Context

SPLITS = ("train", "validation", "test")


def _caption(c: int, i: int) -> str:
    return f"when the {draw.concept_words(c)} shows up number {i}"


def write(ctx: Context, schema: dict[str, Any]) -> None:
    kind = schema["kind"]
    {"hateful_memes": _hateful, "memotion": _memotion, "scimmir": _scimmir}[kind](ctx)


def _hateful(ctx: Context) -> None:
    from datasets import Features, Image, Value

    feats = Features(
        {
            "id": Value("int64"),
            "image": Image(),
            "text": Value("string"),
            "label": Value("int64"),
            "split": Value("string"),
        }
    )
    repo = ctx.new_repo()
    test_texts: list[str] = []
    next_id = 10000
    for split in ("test", "validation", "train"):
        rng = ctx.rng(split)
        columns: dict[str, list[Any]] = {c: [] for c in feats}
        n = ctx.rows if split != "validation" else max(4, ctx.rows // 2)
        for i in range(n):
            c = int(rng.integers(0, draw.N_CONCEPTS))
            text = _caption(c, next_id)
            if split != "test" and test_texts and i % 7 == 3:
                text = test_texts[i % len(test_texts)]  # a caption seen in test
            if split == "test":
                test_texts.append(text)
            columns["id"].append(next_id)
            columns["image"].append(
                draw.image_cell(draw.concept_image(c, rng, ctx.image_size), "PNG")
            )
            columns["text"].append(text)
            columns["label"].append(int(rng.integers(0, 2)))
            columns["split"].append(split)
            next_id += 7
        repo.add("default", split, columns, feats, shards=2 if split == "train" else 1)
    repo.order_splits(SPLITS)
    ctx.finish(repo)


def _memotion(ctx: Context) -> None:
    from datasets import Features, Image, Value

    string = Value("string")
    labels = {
        "humor": ("not_funny", "funny", "very_funny"),
        "sarcasm": ("not_sarcastic", "general", "twisted_meaning"),
        "offensive": ("not_offensive", "slight", "very_offensive"),
        "motivational": ("not_motivational", "motivational"),
        "sentiment": ("negative", "neutral", "positive"),
    }
    feats = Features(
        {
            "image": Image(),
            "text_ocr": string,
            "text_corrected": string,
            **dict.fromkeys(labels, string),
            "split": string,
        }
    )
    repo = ctx.new_repo()
    for split in SPLITS:
        rng = ctx.rng(split)
        columns: dict[str, list[Any]] = {c: [] for c in feats}
        n = ctx.rows if split != "validation" else max(4, ctx.rows // 2)
        for i in range(n):
            c = int(rng.integers(0, draw.N_CONCEPTS))
            text = _caption(c, i)
            columns["image"].append(
                draw.image_cell(draw.concept_image(c, rng, ctx.image_size), "JPEG")
            )
            columns["text_ocr"].append(text.upper())
            columns["text_corrected"].append(None if i % 9 == 4 else text)
            for name, values in labels.items():
                columns[name].append(values[int(rng.integers(0, len(values)))])
            columns["split"].append(split)
        repo.add("default", split, columns, feats, shards=2 if split == "train" else 1)
    ctx.finish(repo)


def _scimmir(ctx: Context) -> None:
    from datasets import Features, Image, Value

    string = Value("string")
    feats = Features(
        {
            "image": Image(),
            "file_name_index": string,
            "text": string,
            "class": string,
            "super_class": string,
            "sub_class": string,
            "split": string,
        }
    )
    repo = ctx.new_repo()
    for split in SPLITS:
        rng = ctx.rng(split)
        columns: dict[str, list[Any]] = {c: [] for c in feats}
        n = ctx.rows if split == "test" else max(4, ctx.rows // 2)
        for i in range(n):
            c = int(rng.integers(0, draw.N_CONCEPTS))
            figure = i % 2 == 0
            columns["image"].append(
                draw.image_cell(draw.concept_image(c, rng, ctx.image_size), "PNG")
            )
            columns["file_name_index"].append(f"{split}_{i:06d}.png")
            columns["text"].append(f"Figure {i}: the {draw.concept_words(c)} measured over time")
            columns["class"].append("figure" if figure else "table")
            columns["super_class"].append("figure" if figure else "table")
            columns["sub_class"].append("result" if figure else "parameter")
            columns["split"].append(split)
        repo.add("default", split, columns, feats)
    ctx.finish(repo)
