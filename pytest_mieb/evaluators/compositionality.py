"""Compositionality evaluator: match each row's images to its texts (Winoground, ARO, ...).

Protocol: mieb-protocols.md 3.10. Image column i goes with text column i. Per row the
m x n cosine matrix decides:

* text_acc -- every image i ranks text i first;
* image_acc -- every text j ranks image j first;
* accuracy -- both (Winoground's group score).

With m != n the unmatched side can never be right, so for ARO/SugarCrepe (1 image) only
text_acc and for ImageCoDe (1 text) only image_acc carry information.

Task params read: ``n_images_per_sample`` / ``n_texts_per_sample`` (optional; when given
they must agree with the data's column counts).

Per-item values (inside `collect_per_item`): ``image_acc``, ``text_acc`` and ``accuracy``,
1.0 per row that passes the check, else 0.0.
"""

from __future__ import annotations

import numpy as np

from pytest_mieb.data.containers import PairMatchingData
from pytest_mieb.evaluators._common import (
    embed_checked,
    require_rows,
    unit_float32,
    with_main_score,
)
from pytest_mieb.evaluators.base import Embedder, SubsetScores, report_per_item
from pytest_mieb.tasks.spec import TaskSpec


def pair_matching_outcomes(image_emb: np.ndarray, text_emb: np.ndarray) -> dict[str, np.ndarray]:
    """Per-row booleans (image_acc, text_acc, accuracy) from (rows, m, d) image and
    (rows, n, d) text embeddings.

    Both sides are L2-normalised here; argmax takes the first maximum on ties, which
    favours the correct item 0 in the 1-vs-n layouts (as in mteb).
    """
    images = unit_float32(image_emb)
    texts = unit_float32(text_emb)
    if images.shape[0] != texts.shape[0] or images.shape[2] != texts.shape[2]:
        raise ValueError(f"image {images.shape} and text {texts.shape} embeddings do not pair up")
    n_rows, m, n = images.shape[0], images.shape[1], texts.shape[1]
    if n_rows == 0:
        raise ValueError("no rows to score")
    similarity = np.einsum("rid,rjd->rij", images, texts)  # (rows, m, n)
    best_text = similarity.argmax(axis=2)  # (rows, m)
    best_image = similarity.argmax(axis=1)  # (rows, n)
    text_ok = (best_text == np.arange(m)).all(axis=1)
    image_ok = (best_image == np.arange(n)).all(axis=1)
    return {"image_acc": image_ok, "text_acc": text_ok, "accuracy": text_ok & image_ok}


def pair_matching_scores(image_emb: np.ndarray, text_emb: np.ndarray) -> dict[str, float]:
    """The share of rows passing each check of `pair_matching_outcomes`."""
    outcomes = pair_matching_outcomes(image_emb, text_emb)
    return {metric: float(ok.mean()) for metric, ok in outcomes.items()}


def evaluate_pair_matching(
    spec: TaskSpec, data: PairMatchingData, embedder: Embedder
) -> SubsetScores:
    task = spec.name
    _check_layout(spec, data)
    n_rows = len(data.image_columns[0])
    require_rows(task, "eval split", n_rows)
    for column in (*data.image_columns, *data.text_columns):
        if len(column) != n_rows:
            raise ValueError(f"{task}: column {column.key!r} has {len(column)} rows, not {n_rows}")

    # Texts first, then images (mteb's order); every column must share the first's width.
    dim: int | None = None
    columns = [(f"text column {j}", c) for j, c in enumerate(data.text_columns)]
    columns += [(f"image column {i}", c) for i, c in enumerate(data.image_columns)]
    embedded = []
    for what, column in columns:
        embedded.append(embed_checked(embedder, column, task=task, what=what, dim=dim))
        dim = embedded[-1].shape[1]
    n_texts = len(data.text_columns)
    text_emb, image_emb = embedded[:n_texts], embedded[n_texts:]
    outcomes = pair_matching_outcomes(np.stack(image_emb, axis=1), np.stack(text_emb, axis=1))
    for metric, ok in outcomes.items():
        report_per_item("default", metric, ok)
    scores = {metric: float(ok.mean()) for metric, ok in outcomes.items()}
    return {"default": with_main_score(task, scores, spec.main_score)}


def _check_layout(spec: TaskSpec, data: PairMatchingData) -> None:
    if not data.image_columns or not data.text_columns:
        raise ValueError(f"{spec.name}: needs at least one image column and one text column")
    for key, columns in (
        ("n_images_per_sample", data.image_columns),
        ("n_texts_per_sample", data.text_columns),
    ):
        expected = spec.params.get(key)
        if expected is not None and int(expected) != len(columns):
            raise ValueError(f"{spec.name}: {key} is {expected} but the data has {len(columns)}")
