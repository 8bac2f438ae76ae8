"""CV-Bench (`mteb/CV-Bench`): one default config, split `test`, four sub-tasks by `task`.

Columns (the catalogue's raw column list; mteb's loader `remove_columns` names them all):
`idx` int64, `type` ('2D' / '3D'), `task` (Count / Relation / Depth / Distance),
`image`, `question`, `choices` (list of strings), `answer` (a letter '(A)'..'(F)'),
`filename`, `source`, `source_dataset`, `source_filename`, `target_class` (nullable),
`target_size` (int64, nullable), `bbox` (list of [x0, y0, x1, y1] float lists, nullable),
`prompt`. Rows of the four sub-tasks are interleaved, as in the real file (sorted by
source), so the loaders' per-task filtering and re-numbering is exercised.
"""

from __future__ import annotations

from typing import Any

from hubfarm import draw
from hubfarm.common import Context

TASKS = ("Count", "Relation", "Depth", "Distance")
LETTERS = "ABCDEF"


def _row(ctx: Context, rng, task: str) -> dict[str, Any]:
    a = int(rng.integers(0, draw.N_CONCEPTS))
    b = (a + 1 + int(rng.integers(0, 6))) % draw.N_CONCEPTS
    wa, wb = draw.concept_words(a), draw.concept_words(b)
    size = ctx.image_size + 16
    if task == "Count":
        n = int(rng.integers(1, 4))
        spots = [(0.2, 0.2), (0.75, 0.25), (0.3, 0.75)][:n]
        image = draw.objects_image([(a, x, y, 0.13) for x, y in spots], rng, size=size)
        options = [str(k) for k in range(0, 4 + int(rng.integers(0, 3)))]
        answer = options.index(str(n))
        question = f"How many {draw.concept(a)[1]}s are in the image?"
        bbox = [[x * size - 5, y * size - 5, x * size + 5, y * size + 5] for x, y in spots]
        target_class, target_size = draw.concept(a)[1], n
    else:
        left_first = bool(rng.integers(0, 2))
        first, second = ((a, 0.28), (b, 0.72)) if left_first else ((b, 0.28), (a, 0.72))
        near = 0.24 if task in ("Depth", "Distance") else 0.18
        image = draw.objects_image(
            [(first[0], first[1], 0.5, near), (second[0], second[1], 0.5, 0.12)], rng, size=size
        )
        if task == "Relation":
            options = ["left", "right"]
            answer = 0 if left_first else 1
            question = f"Where is the {wa} located with respect to the {wb}?"
        else:
            closer = first[0]
            options = [wa, wb]
            answer = options.index(draw.concept_words(closer))
            question = (
                f"Which of these two objects, the {wa} or the {wb}, is closer to the camera?"
                if task == "Depth"
                else f"Estimate which object is closer to the viewer: the {wa} or the {wb}?"
            )
        bbox = None
        target_class, target_size = None, None
    letters = " ".join(f"({LETTERS[k]}) {o}" for k, o in enumerate(options))
    return {
        "type": "2D" if task in ("Count", "Relation") else "3D",
        "task": task,
        "image": draw.image_cell(image, "PNG"),
        "question": question,
        "choices": options,
        "answer": f"({LETTERS[answer]})",
        "source": "ADE20K" if task in ("Count", "Relation") else "Omni3D",
        "source_dataset": "ADE20K" if task in ("Count", "Relation") else "Omni3D",
        "target_class": target_class,
        "target_size": target_size,
        "bbox": bbox,
        "prompt": f"{question} Select from the following choices.\n{letters}",
    }


def write(ctx: Context, schema: dict[str, Any]) -> None:
    from datasets import Features, Image, List, Value

    rng = ctx.rng("rows")
    per_task = max(3, ctx.rows // len(TASKS))
    rows = []
    for _ in range(per_task):
        for task in TASKS:
            rows.append(_row(ctx, rng, task))
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    string = Value("string")
    feats = Features(
        {
            "idx": Value("int64"),
            "type": string,
            "task": string,
            "image": Image(),
            "question": string,
            "choices": List(string),
            "answer": string,
            "filename": string,
            "source": string,
            "source_dataset": string,
            "source_filename": string,
            "target_class": string,
            "target_size": Value("int64"),
            "bbox": List(List(Value("float64"))),
            "prompt": string,
        }
    )
    columns: dict[str, list[Any]] = {c: [] for c in feats}
    for idx, row in enumerate(rows):
        row = {
            **row,
            "idx": idx,
            "filename": f"img/{row['type']}/{row['task'].lower()}/{idx:06d}.png",
            "source_filename": f"{idx:08d}.jpg",
        }
        for c in feats:
            columns[c].append(row[c])
    repo = ctx.new_repo()
    repo.add("default", "test", columns, feats)
    ctx.finish(repo)
