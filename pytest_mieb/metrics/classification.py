"""Classification metrics: single-label scores (linear probe, zero-shot), multi-label scores
(VOC2007 probe), their per-sample values, and the mean over experiments.

Pure functions of labels and predictions (numpy, scikit-learn), shared by the
classification and zero-shot evaluators; key names and order follow mteb's result files.
Average precision only exists for binary label sets; elsewhere ``ap``/``ap_weighted`` are
``float("nan")`` (mteb writes null for them per experiment and NaN for the mean).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

#: Imported where they are used, not with this module, so that a session can import them
#: while its first images are encoded (`pytest_mieb.spare_time`); listed here for that.
LIBRARIES = ("sklearn.metrics",)


def classification_scores(
    y_true: Sequence[Hashable],
    y_pred: Sequence[Hashable],
    positive_scores: Sequence[float] | None = None,
) -> dict[str, float]:
    """Single-label metrics (mteb key order), shared by the linear probe and zero-shot.

    Empty classes count 0 in macro averages, as with scikit-learn's default
    ``zero_division="warn"`` (same numbers, without the warning). AP is only defined when
    `y_true` has exactly two distinct values; it ranks by `positive_scores` (zero-shot:
    the score of candidate 1) or, when None, by the hard predictions (linear probe).
    """
    from sklearn.metrics import (
        accuracy_score,
        average_precision_score,
        f1_score,
        precision_score,
        recall_score,
    )

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    scores = {
        "accuracy": accuracy_score(y_true, y_pred),
        "f1": f1_score(y_true, y_pred, average="macro", zero_division=0.0),
        "f1_weighted": f1_score(y_true, y_pred, average="weighted", zero_division=0.0),
        "precision": precision_score(y_true, y_pred, average="macro", zero_division=0.0),
        "precision_weighted": precision_score(
            y_true, y_pred, average="weighted", zero_division=0.0
        ),
        "recall": recall_score(y_true, y_pred, average="macro", zero_division=0.0),
        "recall_weighted": recall_score(y_true, y_pred, average="weighted", zero_division=0.0),
        "ap": float("nan"),
        "ap_weighted": float("nan"),
    }
    if len(np.unique(y_true)) == 2:
        ranking = y_pred if positive_scores is None else np.asarray(positive_scores)
        scores["ap"] = average_precision_score(y_true, ranking, average="macro")
        scores["ap_weighted"] = average_precision_score(y_true, ranking, average="weighted")
    return _plain_floats(scores)


def sample_jaccard_values(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Per sample |pred ∩ true| / |pred ∪ true|; a sample with neither true nor predicted
    labels scores 1."""
    truth = np.asarray(y_true).astype(bool)
    pred = np.asarray(y_pred).astype(bool)
    if truth.shape != pred.shape or truth.ndim != 2:
        raise ValueError(
            f"expected two equal 2-D indicator matrices, got {truth.shape}, {pred.shape}"
        )
    both = (truth & pred).sum(axis=1)
    either = (truth | pred).sum(axis=1)
    return np.divide(both, either, out=np.ones(len(truth)), where=either > 0)


def sample_jaccard_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """mteb's multi-label "hamming": the mean of `sample_jaccard_values`."""
    return float(sample_jaccard_values(y_true, y_pred).mean())


def label_ranking_precision_values(y_true: np.ndarray, y_score: np.ndarray) -> np.ndarray:
    """Per-sample label-ranking average precision, whose mean is scikit-learn's LRAP.

    For each true label l: (true labels scored >= l) / (labels scored >= l), averaged over
    the sample's true labels; a sample with no or only true labels scores 1.
    """
    truth = np.asarray(y_true).astype(bool)
    scores = np.asarray(y_score, dtype=np.float64)
    if truth.shape != scores.shape or truth.ndim != 2:
        raise ValueError(f"expected two equal 2-D matrices, got {truth.shape}, {scores.shape}")
    n_samples, n_labels = truth.shape
    out = np.ones(n_samples, dtype=np.float64)
    n_true = truth.sum(axis=1)
    informative = np.flatnonzero((n_true > 0) & (n_true < n_labels))
    step = max(1, 4_000_000 // max(n_labels * n_labels, 1))
    for start in range(0, informative.size, step):
        rows = informative[start : start + step]
        s, t = scores[rows], truth[rows]
        at_least = s[:, None, :] >= s[:, :, None]  # [i, l, j]: label j scored >= label l
        ratio = (at_least & t[:, None, :]).sum(axis=2) / at_least.sum(axis=2)
        out[rows] = (ratio * t).sum(axis=1) / n_true[rows]
    return out


def multilabel_scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Multi-label metrics of one experiment from binary indicator matrices.

    accuracy is exact-match (subset) accuracy; lrap is computed from the hard 0/1
    predictions (mteb's effective classifier gives no probabilities); f1 is macro.
    """
    from sklearn.metrics import accuracy_score, f1_score, label_ranking_average_precision_score

    return _plain_floats(
        {
            "accuracy": accuracy_score(y_true, y_pred),
            "lrap": label_ranking_average_precision_score(y_true, y_pred),
            "f1": f1_score(y_true, y_pred, average="macro", zero_division=0.0),
            "hamming": sample_jaccard_score(y_true, y_pred),
        }
    )


def mean_over_experiments(per_experiment: Sequence[dict[str, float]]) -> dict[str, float]:
    """Per-metric mean; NaN entries (undefined AP) are skipped, all-NaN stays NaN."""
    if not per_experiment:
        raise ValueError("no experiments to average")
    return {key: _nan_mean([exp[key] for exp in per_experiment]) for key in per_experiment[0]}


def _plain_floats(scores: Mapping[str, Any]) -> dict[str, float]:
    """Python floats (NaN stays NaN), so results serialise cleanly."""
    return {key: float(value) for key, value in scores.items()}


def _nan_mean(values: Sequence[float]) -> float:
    """Mean of the non-NaN values; NaN when there are none (mteb's "None means absent")."""
    kept = [v for v in values if not np.isnan(v)]
    return float(np.mean(kept)) if kept else float("nan")
