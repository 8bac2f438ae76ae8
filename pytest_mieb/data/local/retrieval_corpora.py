"""Offline retrieval datasets: BEIR / M-BEIR-style scene corpora, ViDoRe-style rendered
document pages and WIT-style captions in two languages."""

from __future__ import annotations

import random
from pathlib import Path

from datasets import Features, Image, Sequence, Value

from pytest_mieb.data.local.draw import (
    SHAPES,
    Thing,
    scene,
    single_things,
    text_image,
    two_distinct,
)
from pytest_mieb.data.local.layout import STRING, image_cell, qrels_features, write_configs

GERMAN = {
    "red": "rot", "green": "grün", "blue": "blau", "yellow": "gelb", "purple": "lila",
    "circle": "Kreis", "square": "Quadrat", "triangle": "Dreieck", "diamond": "Raute",
    "cross": "Kreuz",
}  # fmt: skip


def build_scenes_t2i(root: Path) -> None:
    """BEIR repo with configs corpus / queries / default and `_id` columns: captions -> scenes.
    Two extra queries have no qrels (the loader must drop them)."""
    rng = random.Random(29)
    corpus = {"_id": [], "image": []}
    queries = {"_id": [], "text": []}
    qrels = {"query-id": [], "corpus-id": [], "score": []}
    for k in range(20):
        (s1, c1), (s2, c2) = two_distinct(rng)
        a, b = Thing(s1, c1, 18, 32, 10), Thing(s2, c2, 46, 32, 10)
        corpus["_id"].append(f"doc{k}")
        corpus["image"].append(image_cell(scene([a, b])))
        queries["_id"].append(f"query{k}")
        queries["text"].append(f"a {a.words} next to a {b.words}")
        qrels["query-id"].append(f"query{k}")
        qrels["corpus-id"].append(f"doc{k}")
        qrels["score"].append(1)
    queries["_id"] += ["unjudged0", "unjudged1"]
    queries["text"] += ["an empty picture", "a picture of nothing"]
    write_configs(
        root,
        {
            "corpus": {"test": (corpus, Features(_id=STRING, image=Image()))},
            "queries": {"test": (queries, Features(_id=STRING, text=STRING))},
            "default": {"test": (qrels, qrels_features("int64"))},
        },
    )


def build_scenes_i2i(root: Path) -> None:
    """M-BEIR-like repo (configs corpus / query / qrels; corpus split `corpus`): single-shape
    scenes; each query image is also in the corpus and judges the other scenes of its shape."""
    rng = random.Random(31)
    things = single_things(rng, 25)
    ids = [f"img{k:03d}" for k in range(len(things))]
    images = [image_cell(scene([t])) for t in things]
    corpus = {"id": ids, "modality": ["image"] * len(ids), "image": images}
    picks = list(range(len(SHAPES)))
    query = {
        "id": [ids[k] for k in picks],
        "modality": ["image"] * len(picks),
        "image": [images[k] for k in picks],
    }
    qrels = {"query-id": [], "corpus-id": [], "score": []}
    for k in picks:
        for j, other in enumerate(things):
            if j != k and other.shape == things[k].shape:
                qrels["query-id"].append(ids[k])
                qrels["corpus-id"].append(ids[j])
                qrels["score"].append(1)
    write_configs(
        root,
        {
            "corpus": {"corpus": (corpus, Features(id=STRING, modality=STRING, image=Image()))},
            "query": {"test": (query, Features(id=STRING, modality=STRING, image=Image()))},
            "qrels": {"test": (qrels, qrels_features("int8"))},
        },
    )


TOPICS = (
    "harbour", "orchard", "glacier", "volcano", "library", "bakery",
    "railway", "lighthouse", "vineyard", "observatory", "brewery", "greenhouse",
)  # fmt: skip
FILLER = ("summary", "budget", "outlook", "staff", "results", "growth", "risks", "plans")


def build_doc_pages(root: Path) -> None:
    """ViDoRe *_beir-like: configs queries (query-id, query) / corpus (corpus-id, image) /
    qrels (float scores), split test; pages are text rendered with Pillow's default font."""
    rng = random.Random(37)
    pages, queries, qrels = [], [], {"query-id": [], "corpus-id": [], "score": []}
    for k, topic in enumerate(TOPICS):
        lines = ["ANNUAL REPORT", f"Topic: {topic}"]
        lines += [f"{rng.choice(FILLER)} of the {topic}: {rng.randint(10, 99)}%" for _ in range(5)]
        pages.append(image_cell(text_image(lines, 180, 140, size=11)))
        queries.append(f"Which report covers the {topic}?")
        qrels["query-id"].append(100 + k)
        qrels["corpus-id"].append(k)
        qrels["score"].append(1.0)
    write_configs(
        root,
        {
            "queries": {
                "test": (
                    {"query-id": [100 + k for k in range(len(TOPICS))], "query": queries},
                    Features(**{"query-id": Value("int64"), "query": STRING}),
                )
            },
            "corpus": {
                "test": (
                    {"corpus-id": list(range(len(TOPICS))), "image": pages},
                    Features(**{"corpus-id": Value("int64"), "image": Image()}),
                )
            },
            "qrels": {
                "test": (
                    qrels,
                    Features(
                        **{
                            "query-id": Value("int64"),
                            "corpus-id": Value("int64"),
                            "score": Value("float64"),
                        }
                    ),
                )
            },
        },
    )


def build_wit_captions(root: Path) -> None:
    """mteb/wit-like: one split per language (en, de); rows image, image_id, captions."""
    rng = random.Random(41)
    features = Features(image=Image(), image_id=STRING, captions=Sequence(STRING))
    splits = {}
    for language in ("en", "de"):
        things = single_things(rng, 10)
        captions = []
        for t in things:
            if language == "en":
                captions.append(
                    [f"a {t.colour} {t.shape}", f"a picture of one {t.colour} {t.shape}"]
                )
            else:
                shape, colour = GERMAN[t.shape], GERMAN[t.colour]
                captions.append([f"{shape}, {colour}", f"ein Bild: ein {shape} in {colour}"])
        splits[language] = (
            {
                "image": [image_cell(scene([t])) for t in things],
                "image_id": [f"{language}{k:03d}" for k in range(len(things))],
                "captions": captions,
            },
            features,
        )
    write_configs(root, {"default": splits})
