"""Offline compositionality datasets: relation captions with objects swapped, Winoground-
style swapped pairs, and ImageCoDe-style ten-candidate pools."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from datasets import Features, Image, Value

from pytest_mieb.data.local.draw import COLOURS, SHAPES, Thing, scene, two_distinct
from pytest_mieb.data.local.layout import (
    STRING,
    image_cell,
    qrels_features,
    write_configs,
    write_default_config,
)


def build_relations(root: Path) -> None:
    """mteb/ARO-Visual-Relation-like: image, true_caption, false_caption (objects swapped)."""
    rng = random.Random(11)
    rows: dict[str, list[Any]] = {
        "image": [],
        "true_caption": [],
        "false_caption": [],
        "relation_name": [],
    }
    for k in range(30):
        (s1, c1), (s2, c2) = two_distinct(rng)
        if k % 2 == 0:
            relation, first, second = "to the left of", (18, 32), (46, 32)
        else:
            relation, first, second = "above", (32, 16), (32, 48)
        a, b = Thing(s1, c1, *first, 10), Thing(s2, c2, *second, 10)
        rows["image"].append(image_cell(scene([a, b])))
        rows["true_caption"].append(f"the {a.words} is {relation} the {b.words}")
        rows["false_caption"].append(f"the {b.words} is {relation} the {a.words}")
        rows["relation_name"].append(relation)
    features = Features(
        image=Image(), true_caption=STRING, false_caption=STRING, relation_name=STRING
    )
    write_default_config(root, {"test": (rows, features)})


def build_swapped_pairs(root: Path) -> None:
    """facebook/winoground-like: two images x two captions, the same words swapped."""
    rng = random.Random(13)
    rows: dict[str, list[Any]] = {
        "id": [],
        "image_0": [],
        "image_1": [],
        "caption_0": [],
        "caption_1": [],
    }
    for k in range(16):
        (s1, c1), (s2, c2) = two_distinct(rng)
        left_a, right_b = Thing(s1, c1, 18, 32, 10), Thing(s2, c2, 46, 32, 10)
        left_b, right_a = Thing(s2, c2, 18, 32, 10), Thing(s1, c1, 46, 32, 10)
        rows["id"].append(k)
        rows["image_0"].append(image_cell(scene([left_a, right_b])))
        rows["image_1"].append(image_cell(scene([left_b, right_a])))
        rows["caption_0"].append(f"a {left_a.words} left of a {right_b.words}")
        rows["caption_1"].append(f"a {left_b.words} left of a {right_a.words}")
    features = Features(
        id=Value("int32"),
        image_0=Image(),
        image_1=Image(),
        caption_0=STRING,
        caption_1=STRING,
    )
    write_default_config(root, {"test": (rows, features)})


def build_imagecode(root: Path) -> None:
    """mteb/imagecode-multi-like: configs corpus / query / qrels; ten candidates a caption."""
    rng = random.Random(17)
    combos = [(s, c) for s in SHAPES for c in COLOURS][:20]
    corpus_ids = [f"img{k:03d}" for k in range(len(combos))]
    corpus_images = [
        image_cell(scene([Thing(s, c, rng.randint(20, 44), rng.randint(20, 44), 11)]))
        for s, c in combos
    ]
    query_ids, texts, qrels = [], [], {"query-id": [], "corpus-id": [], "score": []}
    for q in range(8):
        correct = rng.randrange(len(combos))
        others = rng.sample([k for k in range(len(combos)) if k != correct], 9)
        pool = others[:]
        pool.insert(rng.randrange(10), correct)
        qid = f"q{q:03d}"
        query_ids.append(qid)
        texts.append(f"a {combos[correct][1]} {combos[correct][0]}")
        for k in pool:
            qrels["query-id"].append(qid)
            qrels["corpus-id"].append(corpus_ids[k])
            qrels["score"].append(1 if k == correct else 0)
    write_configs(
        root,
        {
            "corpus": {
                "corpus": (
                    {
                        "id": corpus_ids,
                        "modality": ["image"] * len(corpus_ids),
                        "image": corpus_images,
                    },
                    Features(id=STRING, modality=STRING, image=Image()),
                )
            },
            "query": {
                "test": (
                    {"id": query_ids, "modality": ["text"] * len(query_ids), "text": texts},
                    Features(id=STRING, modality=STRING, text=STRING),
                )
            },
            "qrels": {"test": (qrels, qrels_features("int8"))},
        },
    )
