"""Rendered STS repos: `sentence1` / `sentence2` images of rendered sentences, `score`.

Features (rendered-sts* cards): `sentence1` Image, `sentence2` Image, `score` float64
(0-5). Styles:

* `data` (mteb/rendered-sts12..16): default config, `data/<split>-00000-of-00001.parquet`;
* `config_dirs` (Pixel-Linguist/rendered-sts17): one config per language pair,
  `<config>/test-00000-of-00001.parquet`, plus a `default` config over all of them (the
  parquet-converter tree lists config folders ar-ar … nl-en and default, each with test);
* `split_dirs` (Pixel-Linguist/rendered-stsb): folders `train/`, `dev/`, `test/` holding
  `<lang>.parquet`; configs `default` (all languages) and one per language.

Splits no task reads (`small_splits`: STS12's and STS-b's train) get a quarter of the rows.
Sentence pairs share more words the higher their score, so rendered pairs with a high
gold score look alike.
"""

from __future__ import annotations

from typing import Any

from hubfarm import draw
from hubfarm.common import Context


def _table(ctx: Context, rng, n: int, prefix: str) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {"sentence1": [], "sentence2": [], "score": []}
    for i in range(n):
        first, second, score = draw.sentence_pair(i, rng)
        if prefix:
            first, second = f"{prefix} {first}", f"{prefix} {second}"
        columns["sentence1"].append(draw.image_cell(draw.text_image(first), "PNG"))
        columns["sentence2"].append(draw.image_cell(draw.text_image(second), "PNG"))
        columns["score"].append(float(score))
    return columns


def write(ctx: Context, schema: dict[str, Any]) -> None:
    from datasets import Features, Image, Value

    feats = Features({"sentence1": Image(), "sentence2": Image(), "score": Value("float64")})
    repo = ctx.new_repo()
    style = schema["style"]
    small = set(schema.get("small_splits", ()))

    def rows(split: str) -> int:  # splits no task reads stay small
        return max(4, ctx.rows // 4) if split in small else ctx.rows

    if style == "data":
        for split in schema["splits"]:
            repo.add("default", split, _table(ctx, ctx.rng(split), rows(split), ""), feats)
    elif style == "config_dirs":
        configs = schema["configs"]
        for config in configs:
            table = _table(ctx, ctx.rng(config), ctx.rows, config)
            repo.add(config, "test", table, feats, files=f"{config}/test")
        repo.alias("default", "test", "*/test-*", feats)
    elif style == "split_dirs":
        for split in schema["splits"]:
            for lang in schema["configs"]:
                table = _table(ctx, ctx.rng(split, lang), rows(split), lang)
                path = f"{split}/{lang}.parquet"
                repo.add(lang, split, table, feats, files=path, pattern=path)
        for split in schema["splits"]:
            repo.alias("default", split, f"{split}/*.parquet", feats)
    else:  # pragma: no cover - table error
        raise ValueError(f"{ctx.repo}: unknown STS style {style!r}")
    ctx.finish(repo)
