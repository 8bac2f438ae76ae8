"""Zero-shot classification: both scoring paths, metrics, evaluator (candidate texts:
tests/tasks/test_candidate_texts.py)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from evaluator_fakes import VectorEmbedder, task_spec

from pytest_mieb.data.containers import Inputs, LabelledImages, ZeroShotData
from pytest_mieb.evaluators.zeroshot import (
    clip_softmax_scores,
    evaluate_zero_shot,
    label_indices,
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


# ---------------------------------------------------------------- edge cases (mutation run)


def test_clip_softmax_is_per_image_even_far_below_other_images_logits():
    # Image 2 has cosines -1 and -0.6 (logits -100 and -60) while image 1 reaches +100:
    # its softmax is exp(-100) : exp(-60), i.e. 1 / (1 + e^40) for candidate 0. Shifting by a
    # max over all images would make exp(-200) and exp(-160) underflow to 0 in float32.
    images = np.array([[1.0, 0.0], [-1.0, 0.0]])
    labels = np.array([[1.0, 0.0], [0.6, 0.8]])
    probs = clip_softmax_scores(images, labels)
    small = 1 / (1 + math.exp(40))
    assert np.isfinite(probs).all()
    assert probs[1].tolist() == pytest.approx([small, 1 - small], rel=1e-5)
    assert probs[0].tolist() == pytest.approx([1 - small, small], rel=1e-5)


def test_model_similarity_is_float32_so_float32_ties_pick_the_first_candidate():
    # Dot products that differ only beyond float32 precision tie, as in mteb's float32 scoring.
    near_one = 1.0 + 1e-12
    image_side = model_similarity_scores(
        np.array([[1.0, near_one]]), np.array([[1.0, 0.0], [0.0, 1.0]]), "dot"
    )
    label_side = model_similarity_scores(
        np.array([[1.0, 1.0]]), np.array([[1.0, 0.0], [0.0, near_one]]), "dot"
    )
    for scores in (image_side, label_side):
        assert scores.dtype == np.float32
        assert scores[0].tolist() == [1.0, 1.0]
        assert zero_shot_scores([0], scores)["accuracy"] == 1.0


def test_single_candidate_predicts_it_for_every_image_without_ap():
    got = zero_shot_scores([0, 0], np.array([[0.3], [0.9]], dtype=np.float32))
    assert got["accuracy"] == 1.0
    assert math.isnan(got["ap"]) and math.isnan(got["ap_weighted"])
    data = make_data([[1.0, 0.0], [0.0, 1.0]], [0, 0], ["only"])
    scores = evaluate_zero_shot(make_spec(), data, VectorEmbedder({"only": [1.0, 1.0]}))
    assert scores["default"]["accuracy"] == 1.0


def test_float_stored_labels_become_integer_candidate_indices():
    got = label_indices("ZS", [2.0, 0.0, 1.0], ["a", "b", "c"], 3)
    assert got.dtype == np.int64
    assert got.tolist() == [2, 0, 1]


def test_labels_that_are_not_whole_indices_are_refused():
    with pytest.raises(
        ValueError, match=r"^ZS: labels must be whole candidate indices, got \[1\.5\]$"
    ):
        label_indices("ZS", [0.0, 1.5, 1.0], ["a", "b"], 2)


def test_a_refusal_of_many_fractional_labels_names_the_first_five():
    labels = [0.0, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5]
    with pytest.raises(ValueError, match=r"got \[0\.5, 1\.5, 2\.5, 3\.5, 4\.5\]$"):
        label_indices("ZS", labels, None, 8)


def exact(message: str) -> str:
    return f"^{re.escape(message)}$"


def test_input_errors_name_the_task_in_one_exact_line():
    vectors = {"cat": [1.0, 0.0], "dog": [0.0, 1.0]}
    cases = [
        (
            make_data([[1, 0], [0, 1]], [0], ["cat", "dog"]),
            "ZS: eval split has 2 inputs but 1 labels",
        ),
        (make_data([], [], ["cat", "dog"]), "ZS: eval split is empty"),
        (make_data([[1, 0]], [0], []), "ZS: candidate list is empty"),
        (
            make_data([[1, 0]] * 6, ["f", "e", "d", "c", "b", "a"], ["cat", "dog"]),
            "ZS: labels ['a', 'b', 'c', 'd', 'e'] match no candidate text",
        ),
        (
            make_data([[1, 0], [0, 1]], [0, -1], ["cat", "dog"]),
            "ZS: labels must index the 2 candidates, got range -1..0",
        ),
    ]
    for data, message in cases:
        with pytest.raises(ValueError, match=exact(message)):
            evaluate_zero_shot(make_spec(), data, VectorEmbedder(vectors))


def test_string_labels_against_image_candidates_are_refused():
    data = ZeroShotData(
        test=LabelledImages(Inputs("zs@0/default/test/img", images=[[1, 0]]), ["cat"]),
        candidates=Inputs("zs@0/candidates", images=[[1, 0]]),
    )
    with pytest.raises(
        ValueError, match=exact("ZS: string labels need text candidates to match against")
    ):
        evaluate_zero_shot(make_spec(), data, VectorEmbedder())


def test_main_score_outside_the_metrics_is_a_spec_error_naming_the_task():
    spec = task_spec(
        "ZS", "ZeroShotClassification", "zero_shot", "map", "local/zs", modalities=("image", "text")
    )
    data = make_data([[1, 0]], [0], ["cat", "dog"])
    message = (
        "ZS: main score 'map' is not one of the metrics (accuracy, f1, f1_weighted, precision, "
        "precision_weighted, recall, recall_weighted, ap, ap_weighted)"
    )
    with pytest.raises(ValueError, match=exact(message)):
        evaluate_zero_shot(spec, data, VectorEmbedder({"cat": [1, 0], "dog": [0, 1]}))
