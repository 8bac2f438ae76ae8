"""Compositionality repos: one row = image(s) x captions, image column i matches text i.

Default config, `data/<split>-00000-of-00001.parquet`:

* `order` (ARO-COCO-order, ARO-Flickr-Order; gowitheflow card): `images`,
  `correct_caption`, `hard_text_1..4` (the caption's words reordered);
* `attribution` (ARO-Visual-Attribution): `image`, `true_caption`, `false_caption`
  (attributes swapped);
* `relation` (ARO-Visual-Relation, own card): `image`, `true_caption`, `false_caption`,
  `relation_name`, `bbox` {x, y, w, h: float32};
* `sugarcrepe` (SUGARCREPE_fmt): `images`, `caption`, `negative_caption`, split `train`
  only (both loaders use it as the test split);
* `winoground` (facebook/winoground): `id`, `image_0`, `image_1`, `caption_0`,
  `caption_1`, `tag`, `secondary_tag`, `num_main_preds`, `collapsed_tag`.
"""

from __future__ import annotations

from typing import Any

from hubfarm import draw
from hubfarm.common import Context

LEFT, RIGHT = (0.28, 0.5, 0.2), (0.72, 0.5, 0.2)


def _two(rng) -> tuple[int, int]:
    a = int(rng.integers(0, draw.N_CONCEPTS))
    b = (a + 1 + int(rng.integers(0, 7))) % draw.N_CONCEPTS
    if draw.concept(a)[0] == draw.concept(b)[0]:
        b = (b + 1) % draw.N_CONCEPTS
    return a, b


def _scene(ctx: Context, rng, a: int, b: int):
    return draw.objects_image([(a, *LEFT), (b, *RIGHT)], rng, size=ctx.image_size + 16)


def write(ctx: Context, schema: dict[str, Any]) -> None:
    from datasets import Features, Image, Value

    kind = schema["kind"]
    rng = ctx.rng(kind)
    string = Value("string")
    columns: dict[str, list[Any]]
    split = "test"
    if kind == "order":
        cols = ["correct_caption", *(f"hard_text_{i}" for i in range(1, 5))]
        feats = Features({"images": Image(), **dict.fromkeys(cols, string)})
        columns = {c: [] for c in feats}
        for _ in range(ctx.rows):
            a, b = _two(rng)
            caption = f"a {draw.concept_words(a)} to the left of a {draw.concept_words(b)}"
            words = caption.split()
            columns["images"].append(draw.image_cell(_scene(ctx, rng, a, b), "JPEG"))
            columns["correct_caption"].append(caption)
            for i in range(1, 5):
                shuffled = list(words)
                while shuffled == words:
                    rng.shuffle(shuffled)
                columns[f"hard_text_{i}"].append(" ".join(shuffled))
    elif kind in ("attribution", "relation", "sugarcrepe"):
        image_col = "images" if kind == "sugarcrepe" else "image"
        true_col, false_col = (
            ("caption", "negative_caption")
            if kind == "sugarcrepe"
            else ("true_caption", "false_caption")
        )
        spec: dict[str, Any] = {image_col: Image(), true_col: string, false_col: string}
        if kind == "relation":
            spec["relation_name"] = string
            spec["bbox"] = {k: Value("float32") for k in ("x", "y", "w", "h")}
        feats = Features(spec)
        columns = {c: [] for c in feats}
        for _ in range(ctx.rows):
            a, b = _two(rng)
            (ca, sa), (cb, sb) = draw.concept(a), draw.concept(b)
            columns[image_col].append(draw.image_cell(_scene(ctx, rng, a, b), "JPEG"))
            if kind == "relation":
                columns[true_col].append(f"the {ca} {sa} is to the left of the {cb} {sb}")
                columns[false_col].append(f"the {cb} {sb} is to the left of the {ca} {sa}")
                columns["relation_name"].append("to the left of")
                columns["bbox"].append({"x": 2.0, "y": 10.0, "w": 40.0, "h": 20.0})
            else:
                columns[true_col].append(f"a {ca} {sa} and a {cb} {sb}")
                columns[false_col].append(f"a {cb} {sa} and a {ca} {sb}")
        if kind == "sugarcrepe":
            split = "train"
    elif kind == "winoground":
        feats = Features(
            {
                "id": Value("int32"),
                "image_0": Image(),
                "image_1": Image(),
                "caption_0": string,
                "caption_1": string,
                "tag": string,
                "secondary_tag": string,
                "num_main_preds": Value("int32"),
                "collapsed_tag": string,
            }
        )
        columns = {c: [] for c in feats}
        for i in range(ctx.rows):
            a, b = _two(rng)
            (ca, sa), (cb, sb) = draw.concept(a), draw.concept(b)
            columns["id"].append(i)
            columns["image_0"].append(draw.image_cell(_scene(ctx, rng, a, b), "JPEG"))
            columns["image_1"].append(draw.image_cell(_scene(ctx, rng, b, a), "JPEG"))
            columns["caption_0"].append(f"a {ca} {sa} left of a {cb} {sb}")
            columns["caption_1"].append(f"a {cb} {sb} left of a {ca} {sa}")
            columns["tag"].append("Object")
            columns["secondary_tag"].append("")
            columns["num_main_preds"].append(1)
            columns["collapsed_tag"].append("Object")
    else:  # pragma: no cover - table error
        raise ValueError(f"{ctx.repo}: unknown compositionality kind {kind!r}")
    repo = ctx.new_repo()
    repo.add("default", split, columns, feats)
    ctx.finish(repo)
