"""Classification and clustering metrics against scikit-learn, reached by other routes than
the evaluators take (classification_report, precision-recall curves, entropies, brute force),
on random labels with absent classes, ties and degenerate rows."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import entropy
from sklearn.metrics import (
    accuracy_score,
    adjusted_rand_score,
    classification_report,
    f1_score,
    homogeneity_completeness_v_measure,
    jaccard_score,
    label_ranking_average_precision_score,
    mutual_info_score,
    precision_recall_curve,
)

from pytest_mieb.evaluators.clustering import cluster_accuracy, clustering_scores
from pytest_mieb.evaluators.zeroshot import zero_shot_scores
from pytest_mieb.metrics.classification import (
    classification_scores,
    label_ranking_precision_values,
    multilabel_scores,
)


def report_oracle(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    report = classification_report(y_true, y_pred, output_dict=True, zero_division=0.0)
    out = {"accuracy": accuracy_score(y_true, y_pred)}
    for average, suffix in (("macro avg", ""), ("weighted avg", "_weighted")):
        out[f"f1{suffix}"] = report[average]["f1-score"]
        out[f"precision{suffix}"] = report[average]["precision"]
        out[f"recall{suffix}"] = report[average]["recall"]
    return out


def average_precision_oracle(y_true: np.ndarray, ranking: np.ndarray) -> float:
    """AP as the step sum over the precision-recall curve: sum (R_n - R_(n-1)) P_n."""
    precision, recall, _ = precision_recall_curve(y_true, ranking)
    return float(-np.sum(np.diff(recall) * precision[:-1]))


@pytest.mark.parametrize("seed", range(5))
def test_multiclass_scores_match_sklearns_report(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 6, size=120)
    y_pred = np.where(rng.random(120) < 0.5, y_true, rng.integers(0, 7, size=120))
    y_pred[y_pred == 2] = 3  # class 2 never predicted: its precision counts 0
    got = classification_scores(y_true, y_pred)
    for metric, value in report_oracle(y_true, y_pred).items():
        assert got[metric] == pytest.approx(value, abs=1e-12), metric
    assert np.isnan(got["ap"]) and np.isnan(got["ap_weighted"])  # defined for binary only


@pytest.mark.parametrize("seed", range(5))
def test_binary_ap_ranks_by_the_positive_scores_or_the_predictions(seed: int) -> None:
    rng = np.random.default_rng(10 + seed)
    y_true = rng.integers(0, 2, size=80)
    positive = np.round(y_true * 0.3 + rng.random(80), 1)  # rounded: many tied scores
    y_pred = (positive > 0.6).astype(int)
    scored = classification_scores(y_true, y_pred, positive_scores=positive)
    hard = classification_scores(y_true, y_pred)
    assert scored["ap"] == scored["ap_weighted"]
    assert scored["ap"] == pytest.approx(average_precision_oracle(y_true, positive), abs=1e-12)
    assert hard["ap"] == pytest.approx(average_precision_oracle(y_true, y_pred), abs=1e-12)


def test_zero_shot_predicts_the_first_best_label_on_ties() -> None:
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 3, size=(200, 4)).astype(np.float32)  # many tied rows
    labels = rng.integers(0, 4, size=200)
    first_best = np.array([next(j for j, s in enumerate(row) if s == row.max()) for row in scores])
    got = zero_shot_scores(labels, scores)
    for metric, value in report_oracle(labels, first_best).items():
        assert got[metric] == pytest.approx(value, abs=1e-12), metric


def test_binary_zero_shot_ap_ranks_by_the_second_labels_score() -> None:
    rng = np.random.default_rng(8)
    labels = rng.integers(0, 2, size=150)
    scores = np.stack([rng.random(150), rng.random(150) + 0.4 * labels], axis=1)
    got = zero_shot_scores(labels, scores.astype(np.float32))
    expected = average_precision_oracle(labels, scores[:, 1].astype(np.float32))
    assert got["ap"] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_multilabel_scores_match_sklearn(seed: int) -> None:
    rng = np.random.default_rng(20 + seed)
    truth = (rng.random((90, 5)) < 0.35).astype(int)
    pred = np.where(rng.random((90, 5)) < 0.7, truth, 1 - truth)
    truth[0] = pred[0] = 0  # neither true nor predicted labels: counts as a full match
    truth[1] = 1
    got = multilabel_scores(truth, pred)
    assert got["accuracy"] == pytest.approx(np.mean((truth == pred).all(axis=1)), abs=1e-12)
    assert got["lrap"] == pytest.approx(
        label_ranking_average_precision_score(truth, pred), abs=1e-12
    )
    assert got["f1"] == pytest.approx(
        f1_score(truth, pred, average="macro", zero_division=0.0), abs=1e-12
    )
    assert got["hamming"] == pytest.approx(
        jaccard_score(truth, pred, average="samples", zero_division=1.0), abs=1e-12
    )


def test_label_ranking_precision_with_tied_scores_matches_sklearn() -> None:
    rng = np.random.default_rng(5)
    truth = rng.random((200, 7)) < 0.3
    truth[:3] = False
    truth[3:6] = True
    scores = rng.integers(0, 3, size=(200, 7)) / 2  # heavy ties
    values = label_ranking_precision_values(truth, scores)
    assert values.mean() == pytest.approx(
        label_ranking_average_precision_score(truth, scores), abs=1e-12
    )


def nmi_oracle(labels: np.ndarray, assignments: np.ndarray) -> float:
    """Mutual information over the arithmetic mean of the two entropies (sklearn's default)."""
    _, label_counts = np.unique(labels, return_counts=True)
    _, cluster_counts = np.unique(assignments, return_counts=True)
    mean_entropy = (entropy(label_counts) + entropy(cluster_counts)) / 2
    return float(mutual_info_score(labels, assignments) / mean_entropy)


def accuracy_oracle(labels: np.ndarray, assignments: np.ndarray) -> float:
    """Best share of matches over every one-to-one map of clusters to labels (brute force)."""
    label_ids, clusters = np.unique(labels), np.unique(assignments)
    best = 0
    slots = list(label_ids) + [None] * max(0, len(clusters) - len(label_ids))
    for chosen in itertools.permutations(slots, len(clusters)):
        mapping = dict(zip(clusters, chosen, strict=True))
        best = max(best, sum(mapping[a] == y for a, y in zip(assignments, labels, strict=True)))
    return best / len(labels)


@pytest.mark.parametrize(("n_labels", "n_clusters"), [(4, 4), (3, 5), (5, 3)])
def test_clustering_scores_match_sklearn_and_brute_force(n_labels: int, n_clusters: int) -> None:
    rng = np.random.default_rng(n_labels * 10 + n_clusters)
    labels = rng.integers(0, n_labels, size=60)
    noise = rng.integers(0, n_clusters, size=60)
    assignments = np.where(rng.random(60) < 0.6, labels % n_clusters, noise)
    got = clustering_scores(labels, assignments)
    assert got["v_measure"] == pytest.approx(
        homogeneity_completeness_v_measure(labels, assignments)[2], abs=1e-12
    )
    assert got["nmi"] == pytest.approx(nmi_oracle(labels, assignments), abs=1e-12)
    assert got["ari"] == pytest.approx(adjusted_rand_score(labels, assignments), abs=1e-12)
    assert got["cluster_accuracy"] == pytest.approx(accuracy_oracle(labels, assignments))
    assert cluster_accuracy(labels, assignments) == got["cluster_accuracy"]
