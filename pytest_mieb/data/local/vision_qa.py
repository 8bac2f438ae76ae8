"""Offline vision-centric QA datasets: CV-Bench-style count / relation questions and a
BLINK-style image+question -> answer-image multiple choice."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from datasets import Features, Image, Sequence, Value

from pytest_mieb.data.local.draw import COLOURS, SHAPES, Thing, scene, two_distinct
from pytest_mieb.data.local.layout import (
    STRING,
    image_cell,
    qrels_features,
    write_configs,
    write_default_config,
)


def build_cv_bench(root: Path) -> None:
    """mteb/CV-Bench-like: rows with task Count or Relation, choices and an '(A)' answer."""
    rng = random.Random(19)
    quadrants = ((18, 18), (46, 18), (18, 46), (46, 46))
    rows: dict[str, list[Any]] = {
        k: []
        for k in (
            "idx",
            "type",
            "task",
            "image",
            "question",
            "choices",
            "answer",
            "filename",
            "prompt",
        )
    }
    for k in range(30):
        if k % 2 == 0:
            shape, colour, n = rng.choice(SHAPES), rng.choice(list(COLOURS)), rng.randint(1, 4)
            things = [Thing(shape, colour, cx, cy, 8) for cx, cy in rng.sample(quadrants, n)]
            task, question, choices = (
                "Count",
                f"How many {shape}s are in the image?",
                ["1", "2", "3", "4"],
            )
            answer = n - 1
        else:
            (s1, c1), (s2, c2) = two_distinct(rng)
            a_left = rng.random() < 0.5
            a, b = (
                Thing(s1, c1, 18 if a_left else 46, 32, 10),
                Thing(s2, c2, 46 if a_left else 18, 32, 10),
            )
            things = [a, b]
            task = "Relation"
            question = f"Is the {a.words} to the left or to the right of the {b.words}?"
            choices, answer = ["left", "right"], 0 if a_left else 1
        rows["idx"].append(k)
        rows["type"].append("2D")
        rows["task"].append(task)
        rows["image"].append(image_cell(scene(things)))
        rows["question"].append(question)
        rows["choices"].append(choices)
        rows["answer"].append(f"({'ABCDEF'[answer]})")
        rows["filename"].append(f"img/{k:03d}.png")
        rows["prompt"].append(
            question + " " + " ".join(f"({'ABCDEF'[i]}) {c}" for i, c in enumerate(choices))
        )
    features = Features(
        idx=Value("int32"), type=STRING, task=STRING, image=Image(), question=STRING,
        choices=Sequence(STRING), answer=STRING, filename=STRING, prompt=STRING,
    )  # fmt: skip
    write_default_config(root, {"test": (rows, features)})


def build_multi_choice_it2i(root: Path) -> None:
    """mteb/blink-it2i-multi-like BEIR repo (configs corpus / query / qrels): an image and a
    question against two answer images, the right one judged 1, the other 0."""
    rng = random.Random(23)
    colours = list(COLOURS)
    query = {"id": [], "modality": [], "image": [], "text": []}
    corpus = {"id": [], "modality": [], "image": []}
    qrels = {"query-id": [], "corpus-id": [], "score": []}
    for q in range(12):
        shape, colour = SHAPES[q % len(SHAPES)], rng.choice(colours)
        other_colour = rng.choice([c for c in colours if c != colour])
        other_shape = rng.choice([s for s in SHAPES if s != shape])
        qid = f"q{q:03d}"
        query["id"].append(qid)
        query["modality"].append("image,text")
        query["image"].append(image_cell(scene([Thing(shape, colour, 32, 32, 12)])))
        query["text"].append("Which image shows the same shape in another colour?")
        options = [(shape, other_colour, 1), (other_shape, colour, 0)]
        rng.shuffle(options)
        for k, (s, c, score) in enumerate(options):
            cid = f"{qid}-option{k}"
            corpus["id"].append(cid)
            corpus["modality"].append("image")
            corpus["image"].append(image_cell(scene([Thing(s, c, 32, 32, 12)])))
            qrels["query-id"].append(qid)
            qrels["corpus-id"].append(cid)
            qrels["score"].append(score)
    write_configs(
        root,
        {
            "corpus": {"corpus": (corpus, Features(id=STRING, modality=STRING, image=Image()))},
            "query": {
                "test": (
                    query,
                    Features(id=STRING, modality=STRING, image=Image(), text=STRING),
                )
            },
            "qrels": {"test": (qrels, qrels_features("int8"))},
        },
    )
