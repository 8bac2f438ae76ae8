"""ZeroShotClassification evaluator.

Protocol: mieb-protocols.md 3.4. Every image is scored against one text per class
(`ZeroShotData.candidates`, built by the data layer with `pytest_mieb.tasks.candidate_texts`)
and predicted as the best-scoring class (first one on ties).

Task params read: ``scoring_path`` -- "clip_softmax" or "model_similarity" (the catalogue's
longer texts starting with either id are accepted); left out, the protocol table applies
mteb's rule (clip_softmax when ``spec.modalities == ("image", "text")``, else the model
similarity).

Per-item values (inside `collect_per_item`): ``accuracy`` -- 1.0 per correctly predicted
image, else 0.0. The other metrics are not means over images and get none.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Literal

import numpy as np

from pytest_mieb.data.containers import ZeroShotData
from pytest_mieb.evaluators._common import (
    embed_checked,
    require_rows,
    require_same_length,
    unit_float32,
    with_main_score,
)
from pytest_mieb.evaluators.base import (
    Embedder,
    SubsetScores,
    collecting_per_item,
    report_per_item,
)
from pytest_mieb.metrics.classification import LIBRARIES as METRIC_LIBRARIES
from pytest_mieb.metrics.classification import classification_scores
from pytest_mieb.tasks.spec import TaskSpec

#: Imported where they are used (by the metrics), not with this module: `pytest_mieb.spare_time`.
LIBRARIES = METRIC_LIBRARIES

ScoringPath = Literal["clip_softmax", "model_similarity"]
SCORING_PATHS: tuple[ScoringPath, ...] = ("clip_softmax", "model_similarity")
CLIP_LOGIT_SCALE = 100.0


def resolve_scoring_path(spec: TaskSpec) -> ScoringPath:
    value = spec.params["scoring_path"]
    for path in SCORING_PATHS:
        if str(value).startswith(path):
            return path
    raise ValueError(
        f"{spec.name}: unknown scoring_path {value!r}; expected one of {SCORING_PATHS}"
    )


def clip_softmax_scores(image_emb: np.ndarray, label_emb: np.ndarray) -> np.ndarray:
    """(n_images, n_labels) softmax over labels of 100 x cosine, in float32 like mteb."""
    images = unit_float32(image_emb)
    labels = unit_float32(label_emb)
    logits = (images @ labels.T) * np.float32(CLIP_LOGIT_SCALE)
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=1, keepdims=True)


def model_similarity_scores(
    image_emb: np.ndarray, label_emb: np.ndarray, similarity: str
) -> np.ndarray:
    """(n_images, n_labels) scores with the model's own similarity, float32."""
    images = np.asarray(image_emb, dtype=np.float32)
    labels = np.asarray(label_emb, dtype=np.float32)
    if similarity == "cosine":
        return unit_float32(images) @ unit_float32(labels).T
    if similarity == "dot":
        return images @ labels.T
    raise ValueError(f"unsupported model similarity {similarity!r} (expected 'cosine' or 'dot')")


def zero_shot_scores(labels: Sequence[int], scores: np.ndarray) -> dict[str, float]:
    """Metrics of argmax predictions (first index on ties); binary AP ranks by column 1."""
    scores = np.asarray(scores)
    predictions = scores.argmax(axis=1)
    positive = scores[:, 1] if scores.shape[1] > 1 else None
    return classification_scores(np.asarray(labels), predictions, positive_scores=positive)


def label_indices(
    task: str, labels: Sequence[Hashable], candidates: Sequence[str] | None, n_candidates: int
) -> np.ndarray:
    """Labels as candidate indices; string labels are matched exactly to candidate texts."""
    if len(labels) and isinstance(labels[0], str):
        if candidates is None:
            raise ValueError(f"{task}: string labels need text candidates to match against")
        position = {text: i for i, text in enumerate(candidates)}
        unknown = sorted({label for label in labels if label not in position})
        if unknown:
            raise ValueError(f"{task}: labels {unknown[:5]} match no candidate text")
        return np.asarray([position[label] for label in labels], dtype=np.int64)
    given = np.asarray(labels)
    indices = given.astype(np.int64)
    if given.size and not np.array_equal(indices, given):  # 1.5 would silently become 1
        odd = given[indices != given][:5].tolist()
        raise ValueError(f"{task}: labels must be whole candidate indices, got {odd}")
    if indices.size and (indices.min() < 0 or indices.max() >= n_candidates):
        raise ValueError(
            f"{task}: labels must index the {n_candidates} candidates, "
            f"got range {indices.min()}..{indices.max()}"
        )
    return indices


def evaluate_zero_shot(spec: TaskSpec, data: ZeroShotData, embedder: Embedder) -> SubsetScores:
    task = spec.name
    test = data.test
    require_same_length(task, "eval split", test.inputs, test.labels)
    require_rows(task, "eval split", len(test.inputs))
    require_rows(task, "candidate list", len(data.candidates))
    path = resolve_scoring_path(spec)
    labels = label_indices(task, test.labels, data.candidates.texts, len(data.candidates))

    label_emb = embed_checked(embedder, data.candidates, task=task, what="candidate text")
    image_emb = embed_checked(
        embedder, test.inputs, task=task, what="eval image", dim=label_emb.shape[1]
    )
    if path == "clip_softmax":
        scores = clip_softmax_scores(image_emb, label_emb)
    else:
        scores = model_similarity_scores(image_emb, label_emb, embedder.similarity)
    if collecting_per_item():
        report_per_item("default", "accuracy", scores.argmax(axis=1) == labels)
    return {"default": with_main_score(task, zero_shot_scores(labels, scores), spec.main_score)}
