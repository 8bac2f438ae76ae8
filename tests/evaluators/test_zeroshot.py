"""Zero-shot classification: both scoring paths, metrics, evaluator (candidate texts:
tests/tasks/test_candidate_texts.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from evaluator_fakes import VectorEmbedder, task_spec

from pytest_mieb.data.containers import Inputs, LabelledImages, ZeroShotData
from pytest_mieb.evaluators.zeroshot import (
    clip_softmax_scores,
    evaluate_zero_shot,
    model_similarity_scores,
    resolve_scoring_path,
    zero_shot_scores,
)
from pytest_mieb.tasks.spec import TaskSpec

CLIP_TEXT = "clip_softmax: image and label embeddings are each L2-normalised, logits = 100 * cosine"
MODEL_TEXT = "model_similarity: the model's own similarity(image_emb, label_emb)"


def make_spec(modalities=("image", "text"), **params) -> TaskSpec:
    return task_spec(
        "ZS",
        "ZeroShotClassification",
        "zero_shot",
        "accuracy",
        "local/zs",
        modalities=modalities,
        params=params,
    )


def make_data(images, labels, texts) -> ZeroShotData:
    return ZeroShotData(
        test=LabelledImages(Inputs("zs@0/default/test/img", images=images), labels),
        candidates=Inputs("zs@0/candidates", texts=texts),
    )


# ---------------------------------------------------------------- scoring


def test_resolve_scoring_path():
    assert resolve_scoring_path(make_spec(scoring_path=CLIP_TEXT)) == "clip_softmax"
    assert resolve_scoring_path(make_spec(scoring_path=MODEL_TEXT)) == "model_similarity"
    assert resolve_scoring_path(make_spec(scoring_path="model_similarity")) == "model_similarity"
    # Without the param: mteb's rule on the literal modalities order.
    assert resolve_scoring_path(make_spec(("image", "text"))) == "clip_softmax"
    assert resolve_scoring_path(make_spec(("text", "image"))) == "model_similarity"
    with pytest.raises(ValueError, match="ZS: unknown scoring_path 'softmax'"):
        resolve_scoring_path(make_spec(scoring_path="softmax"))


def test_clip_softmax_hand_worked():
    image = np.array([[3.0, 4.0]])  # unit: (0.6, 0.8)
    labels = np.array([[1.0, 0.0], [0.0, 2.0]])  # cosines 0.6 and 0.8
    probs = clip_softmax_scores(image, labels)
    p1 = 1 / (1 + math.exp(-100 * (0.8 - 0.6)))
    assert probs.dtype == np.float32
    assert probs[0].tolist() == pytest.approx([1 - p1, p1], abs=1e-6)


def test_clip_softmax_rows_sum_to_one_and_keep_cosine_order():
    rng = np.random.default_rng(0)
    images, labels = rng.normal(size=(7, 5)), rng.normal(size=(4, 5)) * 3
    probs = clip_softmax_scores(images, labels)
    cos = (images / np.linalg.norm(images, axis=1, keepdims=True)) @ (
        labels / np.linalg.norm(labels, axis=1, keepdims=True)
    ).T
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert (probs.argmax(axis=1) == cos.argmax(axis=1)).all()


def test_model_similarity_cosine_versus_dot():
    image = np.array([[1.0, 0.0]])
    labels = np.array([[1.0, 0.0], [10.0, 1.0]])
    assert model_similarity_scores(image, labels, "cosine").argmax() == 0
    assert model_similarity_scores(image, labels, "dot").argmax() == 1
    assert model_similarity_scores(image, labels, "dot")[0].tolist() == [1.0, 10.0]
    with pytest.raises(ValueError, match="unsupported model similarity 'max_sim'"):
        model_similarity_scores(image, labels, "max_sim")


def brute_force_ap(labels, scores):
    order = np.argsort(-np.asarray(scores), kind="stable")
    hits, total = 0, 0.0
    for rank, i in enumerate(order, start=1):
        if labels[i] == 1:
            hits += 1
            total += hits / rank
    return total / sum(labels)


def test_zero_shot_scores_ties_pick_first_and_binary_ap_uses_column_one():
    scores = np.array([[0.5, 0.5], [0.2, 0.8], [0.9, 0.1], [0.4, 0.6], [0.3, 0.7]])
    labels = [0, 1, 1, 0, 1]
    got = zero_shot_scores(labels, scores)
    # predictions: 0 (tie -> first), 1, 0, 1, 1
    assert got["accuracy"] == pytest.approx(3 / 5)
    assert got["ap"] == pytest.approx(brute_force_ap(labels, scores[:, 1]))
    assert got["ap_weighted"] == pytest.approx(got["ap"])


def test_zero_shot_scores_non_binary_has_nan_ap():
    scores = np.eye(3)[[0, 1, 2, 2]]
    got = zero_shot_scores([0, 1, 2, 1], scores)
    assert got["accuracy"] == pytest.approx(0.75)
    assert math.isnan(got["ap"]) and math.isnan(got["ap_weighted"])


# ---------------------------------------------------------------- evaluator


def test_clip_path_versus_model_path_with_a_dot_model():
    texts = ["short", "long"]
    vectors = {"short": [1.0, 0.0], "long": [10.0, 1.0]}
    images = [[1.0, 0.0], [1.0, -0.05], [0.0, 1.0]]
    labels = [0, 0, 1]
    data = make_data(images, labels, texts)
    clip = evaluate_zero_shot(
        make_spec(scoring_path=CLIP_TEXT), data, VectorEmbedder(vectors, similarity="dot")
    )
    model = evaluate_zero_shot(
        make_spec(scoring_path=MODEL_TEXT), data, VectorEmbedder(vectors, similarity="dot")
    )
    # Cosine ranks all three right; raw dot products pull every image to "long".
    assert clip["default"]["accuracy"] == 1.0
    assert model["default"]["accuracy"] == pytest.approx(1 / 3)
    assert model["default"]["main_score"] == model["default"]["accuracy"]


def test_evaluator_asks_for_candidates_and_images_once():
    texts = ["a", "b", "c"]
    vectors = {"a": [1, 0, 0], "b": [0, 1, 0], "c": [0, 0, 1]}
    images = [[1, 0.1, 0], [0, 1, 0.2], [0.1, 0, 1], [0, 0.2, 1]]
    data = make_data(images, [0, 1, 2, 1], texts)
    embedder = VectorEmbedder(vectors)
    scores = evaluate_zero_shot(make_spec(), data, embedder)
    assert sorted(c.key for c in embedder.calls) == ["zs@0/candidates", "zs@0/default/test/img"]
    assert list(scores["default"]) == [
        "accuracy",
        "f1",
        "f1_weighted",
        "precision",
        "precision_weighted",
        "recall",
        "recall_weighted",
        "ap",
        "ap_weighted",
        "main_score",
    ]
    assert scores["default"]["accuracy"] == 0.75
    assert repr(scores) == repr(evaluate_zero_shot(make_spec(), data, VectorEmbedder(vectors)))


def test_string_labels_match_candidate_texts():
    vectors = {"cat": [1, 0], "dog": [0, 1]}
    data = make_data([[1, 0], [0, 1], [1, 0.1]], ["cat", "dog", "dog"], ["cat", "dog"])
    scores = evaluate_zero_shot(make_spec(), data, VectorEmbedder(vectors))
    assert scores["default"]["accuracy"] == pytest.approx(2 / 3)
    bad = make_data([[1, 0]], ["bird"], ["cat", "dog"])
    with pytest.raises(ValueError, match="ZS: labels \\['bird'\\] match no candidate"):
        evaluate_zero_shot(make_spec(), bad, VectorEmbedder(vectors))


def test_label_out_of_range_raises():
    data = make_data([[1, 0]], [2], ["cat", "dog"])
    with pytest.raises(ValueError, match="ZS: labels must index the 2 candidates"):
        evaluate_zero_shot(make_spec(), data, VectorEmbedder({"cat": [1, 0], "dog": [0, 1]}))


def test_mismatched_dimensions_and_zero_rows_raise():
    data = make_data([[1, 0, 0]], [0], ["cat", "dog"])
    with pytest.raises(ValueError, match="ZS: eval image embeddings have dimension 3, expected 2"):
        evaluate_zero_shot(make_spec(), data, VectorEmbedder({"cat": [1, 0], "dog": [0, 1]}))
    zero = make_data([[1, 0]], [0], ["cat", "dog"])
    with pytest.raises(ValueError, match="ZS: candidate text embeddings have 1 all-zero row"):
        evaluate_zero_shot(make_spec(), zero, VectorEmbedder({"cat": [1, 0], "dog": [0, 0]}))
