"""Labelled images in parquet: classification, clustering, zero-shot and multi-label repos.

Layout (`push_to_hub` of a DatasetDict): `data/<split>-00000-of-00001.parquet` for every
split, README.md `configs:` naming the splits (so `valid` stays `valid`) and
`dataset_info:` with the features: the image column (`Image`), the label column
(`ClassLabel` with the table's names; for multi-label a list of `ClassLabel`), and the
table's extra columns. Class k is drawn as concept k (`draw.concept`), so classes differ in
colour and shape; multi-label rows show one object per label. `min_rows` pads a split by
repeating its rows; `corrupt_rows` truncates those rows' encoded images (Birdsnap's train
row 3854, which both loaders drop).
"""

from __future__ import annotations

from typing import Any

from hubfarm import draw
from hubfarm.common import Context


def _pad(columns: dict[str, list[Any]], n: int, extras: dict[str, Any]) -> None:
    """Repeat the written rows (same cells) until the split has `n` rows: a split that
    must be long (Birdsnap's train: its corrupt image sits at row 3854) stays cheap."""
    have = len(next(iter(columns.values())))
    for row in range(have, n):
        for column, values in columns.items():
            spec = extras.get(column)
            values.append(row if spec is not None and spec[0] == "row_int" else values[row % have])


def write(ctx: Context, schema: dict[str, Any]) -> None:
    from datasets import ClassLabel, Image, List, Value

    names: list[str] = list(schema["names"])
    image_col, label_col = schema["image"], schema["label"]
    multilabel = bool(schema.get("multilabel"))
    label_feature = ClassLabel(names=names)
    feats: dict[str, Any] = {
        image_col: Image(),
        label_col: List(label_feature) if multilabel else label_feature,
    }
    extras = dict(schema.get("extras", {}))
    for column, spec in extras.items():
        kind = spec[0]
        if kind == "classlabel_of":
            feats[column] = ClassLabel(names=list(spec[1]))
        elif kind == "row_int":
            feats[column] = Value("int64")
        elif kind == "row_str":
            feats[column] = Value("string")
        else:  # pragma: no cover - table error
            raise ValueError(f"{ctx.repo}: unknown extra column kind {kind!r}")
    from datasets import Features

    features = Features(feats)
    repo = ctx.new_repo()
    fmt, mode = schema.get("fmt", "PNG"), schema.get("mode", "RGB")
    min_rows = dict(schema.get("min_rows", {}))
    corrupt = dict(schema.get("corrupt_rows", {}))
    for split in schema["splits"]:
        rng = ctx.rng(split)
        labels = [i % len(names) for i in range(ctx.rows)]
        rng.shuffle(labels)
        columns: dict[str, list[Any]] = {c: [] for c in feats}
        for row, label in enumerate(labels):
            if multilabel:
                pool = min(6, len(names))
                count = int(rng.integers(1, 4))
                chosen = sorted({label % pool, *(int(x) for x in rng.integers(0, pool, count - 1))})
                spots = [(0.28, 0.3), (0.72, 0.3), (0.5, 0.72)]
                things = [(k, *spots[j], 0.18) for j, k in enumerate(chosen)]
                image = draw.objects_image(things, rng, size=ctx.image_size)
                columns[label_col].append(chosen)
                first = chosen[0]
            else:
                image = draw.concept_image(label, rng, size=ctx.image_size, mode=mode)
                columns[label_col].append(label)
                first = label
            columns[image_col].append(draw.image_cell(image, fmt))
            for column, spec in extras.items():
                kind = spec[0]
                if kind == "classlabel_of":
                    columns[column].append(spec[2][first])
                elif kind == "row_int":
                    columns[column].append(row)
                else:
                    columns[column].append(spec[1].format(name=names[first], row=row))
        _pad(columns, min_rows.get(split, 0), extras)
        for row in corrupt.get(split, ()):
            cell = columns[image_col][row]
            columns[image_col][row] = {**cell, "bytes": cell["bytes"][: len(cell["bytes"]) // 3]}
        repo.add("default", split, columns, features)
    ctx.finish(repo)
