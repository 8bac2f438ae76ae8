"""ZeroShotClassification evaluator and the candidate-text builder the data layer uses.

Protocol: mieb-protocols.md 3.4. Every image is scored against one text per class and
predicted as the best-scoring class (first one on ties).

Task params read:

* ``scoring_path`` -- "clip_softmax" or "model_similarity" (the catalogue's longer texts
  starting with either id are accepted). Absent: mteb's rule, clip_softmax when
  ``spec.modalities == ("image", "text")`` and the model similarity otherwise.
* for the data layer (`candidate_texts`): ``candidate_labels`` (fixed list, used verbatim,
  trailing newlines included), else ``candidate_label_template`` (with a ``{name}`` slot)
  and ``class_name_transform`` (a transform id, see `NAME_TRANSFORMS`).

Per-item values (inside `collect_per_item`): ``accuracy`` -- 1.0 per correctly predicted
image, else 0.0. The other metrics are not means over images and get none.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Sequence
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
from pytest_mieb.evaluators.classification import classification_scores
from pytest_mieb.tasks.spec import TaskSpec

ScoringPath = Literal["clip_softmax", "model_similarity"]
SCORING_PATHS: tuple[ScoringPath, ...] = ("clip_softmax", "model_similarity")
CLIP_LOGIT_SCALE = 100.0
NAME_SLOT = "{name}"


# ---------------------------------------------------------------- candidate texts


def sun397_class_name(name: str) -> str:
    """'/c/church/outdoor' -> 'church outdoor': drop the leading '' and letter parts."""
    return " ".join(name.split("/")[2:]).replace("_", " ")


NAME_TRANSFORMS: dict[str, Callable[[str], str]] = {"sun397": sun397_class_name}


def build_candidate_texts(
    template: str, class_names: Sequence[str], transform: str | None = None
) -> list[str]:
    """One prompt per class, in class-id order: `template` with ``{name}`` filled in.

    Names are inserted verbatim (no stripping), after the optional named `transform`.
    """
    if NAME_SLOT not in template:
        raise ValueError(f"candidate template {template!r} has no {NAME_SLOT} slot")
    if transform is None:
        rename: Callable[[str], str] = str
    else:
        try:
            rename = NAME_TRANSFORMS[transform]
        except KeyError:
            known = ", ".join(sorted(NAME_TRANSFORMS))
            raise ValueError(
                f"unknown class_name_transform {transform!r}; known: {known}"
            ) from None
    return [template.replace(NAME_SLOT, rename(name)) for name in class_names]


def candidate_texts(spec: TaskSpec, class_names: Sequence[str] | None = None) -> list[str]:
    """A task's candidate texts: its fixed list, or its template over `class_names`."""
    fixed = spec.param("candidate_labels")
    if fixed:
        return list(fixed)
    template = spec.param("candidate_label_template")
    if template is None:
        raise ValueError(f"{spec.name}: neither candidate_labels nor candidate_label_template")
    if class_names is None:
        raise ValueError(f"{spec.name}: class names are needed to fill {template!r}")
    texts = build_candidate_texts(template, class_names, spec.param("class_name_transform"))
    check_candidate_statistics(spec, texts)
    return texts


def check_candidate_statistics(spec: TaskSpec, texts: Sequence[str]) -> None:
    """Warn when class names read from the data do not give the reference's candidate texts.

    The suites carry the count of distinct candidate texts and their summed length from the
    reference's stored statistics; a mismatch means other class names (another dataset
    revision, a changed label feature), so scores would not be comparable.
    """
    expected_count = spec.param("n_candidates_unique")
    expected_chars = spec.param("candidate_texts_total_chars")
    count, chars = len(set(texts)), sum(len(t) for t in texts)
    if (expected_count is not None and count != expected_count) or (
        expected_chars is not None and chars != expected_chars
    ):
        warnings.warn(
            f"{spec.name}: candidate texts from the data ({count} distinct, {chars} chars) "
            f"differ from the reference statistics ({expected_count} distinct, "
            f"{expected_chars} chars); scores may not be comparable with published ones",
            CandidateTextsWarning,
            stacklevel=2,
        )


class CandidateTextsWarning(UserWarning):
    """Zero-shot prompts built from the data differ from the reference's."""


# ---------------------------------------------------------------- scoring


def resolve_scoring_path(spec: TaskSpec) -> ScoringPath:
    value = spec.param("scoring_path")
    if value is None:
        return "clip_softmax" if tuple(spec.modalities) == ("image", "text") else "model_similarity"
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
    indices = np.asarray(labels, dtype=np.int64)
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
