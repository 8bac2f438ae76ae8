"""metrics/classification.py at its edges: ill-defined ratios, many labels, malformed input.

Written against the mutants the rest of the suite let through (docs/testing.md). Expected
values are worked by hand or taken from scikit-learn.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn.metrics import label_ranking_average_precision_score

from pytest_mieb.metrics.classification import (
    classification_scores,
    label_ranking_precision_values,
    mean_over_experiments,
    multilabel_scores,
    sample_jaccard_values,
)


def test_ill_defined_precision_and_recall_count_zero_without_a_warning() -> None:
    # class 2 is never predicted (precision 0/0), class 3 never true (recall 0/0)
    y_true, y_pred = [0, 0, 1, 1, 2], [0, 0, 1, 3, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = classification_scores(y_true, y_pred)
    # per class (0, 1, 2, 3): precision (1, 1/2, 0, 0), recall (1, 1/2, 0, 0), support 2, 2, 1, 0
    assert scores["precision"] == pytest.approx(1.5 / 4)
    assert scores["recall"] == pytest.approx(1.5 / 4)
    assert scores["precision_weighted"] == pytest.approx((2 * 1 + 2 * 0.5) / 5)
    assert scores["recall_weighted"] == pytest.approx((2 * 1 + 2 * 0.5) / 5)
    assert scores["f1"] == pytest.approx(1.5 / 4)
    assert scores["accuracy"] == pytest.approx(3 / 5)


def test_a_multi_label_column_never_true_nor_predicted_scores_f1_zero_without_a_warning() -> None:
    y_true = np.array([[1, 0, 0], [0, 1, 0]])
    y_pred = np.array([[1, 0, 0], [1, 1, 0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = multilabel_scores(y_true, y_pred)
    # F1 per column: 2*1 / (2*1 + 1) = 2/3, 1, and 0 for the empty third column
    assert scores["f1"] == pytest.approx((2 / 3 + 1 + 0) / 3)


def test_experiments_without_a_defined_value_average_to_nan_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mean = mean_over_experiments([{"ap": math.nan, "f1": 0.5}, {"ap": math.nan, "f1": 1.0}])
    assert math.isnan(mean["ap"]) and mean["f1"] == 0.75


def test_averaging_no_experiments_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^no experiments to average$"):
        mean_over_experiments([])


def test_lrap_over_many_labels_is_computed_for_every_sample() -> None:
    """2,100 labels: one sample per block of work, so every block must be visited."""
    rng = np.random.default_rng(3)
    truth = rng.random((4, 2100)) < 0.01
    truth[:, 0] = True  # every sample has a true label and is informative
    scores = rng.integers(0, 50, size=(4, 2100)).astype(np.float64)  # ties included
    values = label_ranking_precision_values(truth, scores)
    for i in range(4):
        expected = label_ranking_average_precision_score(truth[i : i + 1], scores[i : i + 1])
        assert values[i] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (
            label_ranking_precision_values,
            r"^expected two equal 2-D matrices, got \(2, 3\), \(2, 4\)$",
        ),
        (
            sample_jaccard_values,
            r"^expected two equal 2-D indicator matrices, got \(2, 3\), \(2, 4\)$",
        ),
    ],
)
def test_matrices_of_different_widths_are_refused(function, message) -> None:
    with pytest.raises(ValueError, match=message):
        function(np.ones((2, 3)), np.ones((2, 4)))
