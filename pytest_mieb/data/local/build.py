"""The offline suite's datasets, each in the schema of its hub counterpart.

Every builder is deterministic (fixed seeds, no clock) and small: a few dozen images,
drawn or taken from scikit-learn's bundled digits. `DATASETS` maps the dataset name
(under org `pytest-mieb`) to its builder.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from datasets import ClassLabel, Features, Image, Sequence, Value

from pytest_mieb.data.local.draw import (
    COLOURS,
    SHAPES,
    Thing,
    digit_image,
    png_bytes,
    scene,
    text_image,
)
from pytest_mieb.data.local.layout import (
    Table,
    image_cell,
    write_configs,
    write_default_config,
    write_webdataset,
)

DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
GERMAN = {
    "red": "rot", "green": "grün", "blue": "blau", "yellow": "gelb", "purple": "lila",
    "circle": "Kreis", "square": "Quadrat", "triangle": "Dreieck", "diamond": "Raute",
    "cross": "Kreuz",
}  # fmt: skip
STRING = Value("string")


@lru_cache(maxsize=1)
def _digits() -> Any:
    from sklearn.datasets import load_digits

    return load_digits()


def _single_things(rng: random.Random, n: int) -> list[Thing]:
    """`n` single-shape scenes' things cycling over shapes, with varied colour/place/size."""
    things = []
    colours = list(COLOURS)
    for k in range(n):
        things.append(
            Thing(
                SHAPES[k % len(SHAPES)],
                colours[rng.randrange(len(colours))],
                rng.randint(18, 46),
                rng.randint(18, 46),
                rng.randint(7, 13),
            )
        )
    return things


def _two_distinct(rng: random.Random) -> tuple[tuple[str, str], tuple[str, str]]:
    first_shape, second_shape = rng.sample(SHAPES, 2)
    first_colour, second_colour = rng.sample(list(COLOURS), 2)
    return (first_shape, first_colour), (second_shape, second_colour)


# -- labelled images ------------------------------------------------------------------------


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


# -- compositionality ---------------------------------------------------------------------


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
        (s1, c1), (s2, c2) = _two_distinct(rng)
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
        (s1, c1), (s2, c2) = _two_distinct(rng)
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
            "qrels": {"test": (qrels, _qrelsFeatures("int8"))},
        },
    )


def _qrelsFeatures(score_dtype: str) -> Any:
    return Features(**{"query-id": STRING, "corpus-id": STRING, "score": Value(score_dtype)})


# -- vision-centric QA ---------------------------------------------------------------------


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
            (s1, c1), (s2, c2) = _two_distinct(rng)
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
            "qrels": {"test": (qrels, _qrelsFeatures("int8"))},
        },
    )


# -- retrieval ---------------------------------------------------------------------------


def build_scenes_t2i(root: Path) -> None:
    """BEIR repo with configs corpus / queries / default and `_id` columns: captions -> scenes.
    Two extra queries have no qrels (the loader must drop them)."""
    rng = random.Random(29)
    corpus = {"_id": [], "image": []}
    queries = {"_id": [], "text": []}
    qrels = {"query-id": [], "corpus-id": [], "score": []}
    for k in range(20):
        (s1, c1), (s2, c2) = _two_distinct(rng)
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
            "default": {"test": (qrels, _qrelsFeatures("int64"))},
        },
    )


def build_scenes_i2i(root: Path) -> None:
    """M-BEIR-like repo (configs corpus / query / qrels; corpus split `corpus`): single-shape
    scenes; each query image is also in the corpus and judges the other scenes of its shape."""
    rng = random.Random(31)
    things = _single_things(rng, 25)
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
            "qrels": {"test": (qrels, _qrelsFeatures("int8"))},
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
        things = _single_things(rng, 10)
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


# -- visual STS ---------------------------------------------------------------------------

STS_WORDS = {
    "en": (
        ("the",), ("small", "large", "old", "young", "quiet", "bright"),
        ("dog", "child", "farmer", "pilot", "singer", "doctor"),
        ("watches", "follows", "greets", "paints", "helps", "finds"),
        ("the",), ("tall", "tired", "happy", "busy", "calm", "angry"),
        ("teacher", "cat", "baker", "sailor", "nurse", "horse"),
        ("at dawn", "in the park", "at home", "by the river", "in town", "at night"),
    ),
    "de": (
        ("der",), ("kleine", "große", "alte", "junge", "stille", "helle"),
        ("Hund", "Bauer", "Pilot", "Sänger", "Arzt", "Koch"),
        ("sieht", "folgt", "grüßt", "malt", "hilft", "findet"),
        ("den",), ("müden", "frohen", "ruhigen", "wilden", "klugen", "stolzen"),
        ("Lehrer", "Kater", "Bäcker", "Seemann", "Fahrer", "Maler"),
        ("am Morgen", "im Park", "zu Hause", "am Fluss", "in der Stadt", "bei Nacht"),
    ),
}  # fmt: skip


def sts_pair(rng: random.Random, language: str) -> tuple[str, str, float]:
    """Two sentences differing in k of the 6 varying slots; gold score 5 * (6 - k) / 6."""
    slots = STS_WORDS[language]
    varying = [i for i, words in enumerate(slots) if len(words) > 1]
    first = [rng.choice(words) for words in slots]
    second = list(first)
    changed = rng.sample(varying, rng.randint(0, len(varying)))
    for i in changed:
        second[i] = rng.choice([w for w in slots[i] if w != first[i]])
    score = round(5.0 * (len(varying) - len(changed)) / len(varying), 4)
    return " ".join(first) + ".", " ".join(second) + ".", score


def _sts_table(rng: random.Random, language: str, n: int) -> Table:
    rows: dict[str, list[Any]] = {"sentence1": [], "sentence2": [], "score": []}
    for _ in range(n):
        one, two, score = sts_pair(rng, language)
        rows["sentence1"].append(image_cell(text_image([one], 300, 24, size=12)))
        rows["sentence2"].append(image_cell(text_image([two], 300, 24, size=12)))
        rows["score"].append(score)
    return rows, Features(sentence1=Image(), sentence2=Image(), score=Value("float64"))


def build_rendered_sts(root: Path) -> None:
    """mteb/rendered-sts1x-like: split test, sentence1 / sentence2 images and a 0-5 score."""
    write_default_config(root, {"test": _sts_table(random.Random(43), "en", 30)})


def build_rendered_sts_multi(root: Path) -> None:
    """Pixel-Linguist/rendered-sts17-like: one config per language (en, de), split test."""
    rng = random.Random(47)
    write_configs(root, {lang: {"test": _sts_table(rng, lang, 20)} for lang in ("en", "de")})


DATASETS: dict[str, Callable[[Path], None]] = {
    "local-digits": build_digits,
    "local-wds-digits": build_wds_digits,
    "local-multilabel-shapes": build_multilabel_shapes,
    "local-relations": build_relations,
    "local-swapped-pairs": build_swapped_pairs,
    "local-imagecode": build_imagecode,
    "local-cv-bench": build_cv_bench,
    "local-multi-choice-it2i": build_multi_choice_it2i,
    "local-scenes-t2i": build_scenes_t2i,
    "local-scenes-i2i": build_scenes_i2i,
    "local-doc-pages": build_doc_pages,
    "local-wit-captions": build_wit_captions,
    "local-rendered-sts": build_rendered_sts,
    "local-rendered-sts-multi": build_rendered_sts_multi,
}
