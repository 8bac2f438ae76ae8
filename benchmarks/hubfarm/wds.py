"""WebDataset repos (the `mteb/wds_*` copies of clip-benchmark's `wds_*` repos).

Layout: `<split>/<shard>.tar` with members `<key>.<ext>` (the image, `jpg` / `webp` /
`png`) and `<key>.cls` (the class id as decimal text), `<split>/nshards.txt`, and at the
root `classnames.txt` and `zeroshot_classification_templates.txt`; no README configs
(datasets' `webdataset` builder infers the columns `<ext>`, `cls`, `__key__`, `__url__`
from the first samples; the split is the folder name). Class k is concept k; RenderedSST2
renders a short review text instead.
"""

from __future__ import annotations

from typing import Any

from hubfarm import draw
from hubfarm.common import Context
from hubfarm.hub import mark, write_webdataset

FORMATS = {"jpg": "JPEG", "webp": "WEBP", "png": "PNG"}
REVIEWS = (
    ("a dull, tired and lifeless film", "a warm, funny and moving film"),
    ("the plot never comes together", "a triumph of acting and heart"),
    ("boring from start to finish", "one of the best films of the year"),
)


def write(ctx: Context, schema: dict[str, Any]) -> None:
    names: list[str] = list(schema["names"])
    ext = schema["ext"]
    fmt, mode = FORMATS[ext], schema.get("mode", "RGB")
    splits: dict[str, list[dict[str, bytes]]] = {}
    for split in schema["splits"]:
        rng = ctx.rng(split)
        labels = [i % len(names) for i in range(ctx.rows)]
        rng.shuffle(labels)
        samples = []
        for label in labels:
            if schema.get("rendered"):
                text = REVIEWS[int(rng.integers(0, len(REVIEWS)))][label]
                image = draw.text_image(text, width=64, height=32, font_size=9)
            else:
                image = draw.concept_image(label, rng, size=ctx.image_size, mode=mode)
            samples.append({ext: draw.encode(image, fmt), "cls": str(label).encode()})
        splits[split] = samples
    write_webdataset(ctx.root, splits)
    (ctx.root / "classnames.txt").write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
    (ctx.root / "zeroshot_classification_templates.txt").write_text(
        "a photo of a {c}.\n", encoding="utf-8"
    )
    mark(ctx.root, ctx.revision, ctx.stamp or {})
