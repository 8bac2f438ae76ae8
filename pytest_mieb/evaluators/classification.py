"""Linear-probe (ImageClassification) and VOC2007 multi-label probe evaluators.

Protocol: mieb-protocols.md 3.1 and 3.2. Both sample a few training rows per label for each
experiment, embed the union of sampled rows once and the evaluation split once, fit a
small scikit-learn classifier per experiment and report the mean over experiments.

Task params read (suite-file names; defaults in brackets):

* linear probe: ``samples_per_label`` [16], ``n_experiments`` [5], ``seed`` [42],
  ``max_iter`` [100] (LogisticRegression), ``drop_train_rows`` [none] -- train row numbers
  removed before sampling (Birdsnap: [3854]).
  The evaluator applies this drop; the data layer must hand over the *full* train split.
* multi-label probe: ``samples_per_label`` [8], ``n_experiments`` [5], ``seed`` [42],
  ``n_neighbors`` [5].

Average precision only exists for binary label sets; elsewhere ``ap``/``ap_weighted`` are
``float("nan")`` (mteb writes null for them per experiment and NaN for the mean).

Per-item values (inside `collect_per_item`), each a test item's value averaged over the
experiments, so that their mean is the reported metric: linear probe ``accuracy``
(correct = 1); multi-label probe ``accuracy`` (exact match), ``hamming`` (the sample's
Jaccard score) and ``lrap`` (the sample's label-ranking precision). Macro/weighted F1,
precision, recall and AP are not means over items and get none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    f1_score,
    label_ranking_average_precision_score,
    precision_score,
    recall_score,
)
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import MultiLabelBinarizer

from pytest_mieb.data.containers import ClassificationData
from pytest_mieb.evaluators._common import (
    embed_checked,
    nan_mean,
    plain_floats,
    require_rows,
    require_same_length,
    with_main_score,
)
from pytest_mieb.evaluators.base import (
    Embedder,
    SubsetScores,
    collecting_per_item,
    report_per_item,
)
from pytest_mieb.tasks.spec import TaskSpec

LINEAR_PROBE_DEFAULTS = {"samples_per_label": 16, "n_experiments": 5, "seed": 42, "max_iter": 100}
MULTILABEL_PROBE_DEFAULTS = {
    "samples_per_label": 8,
    "n_experiments": 5,
    "seed": 42,
    "n_neighbors": 5,
}


@dataclass(frozen=True)
class ProbeResult:
    """Mean scores (what a result file reports) plus the per-experiment scores behind them."""

    scores: dict[str, float]
    per_experiment: list[dict[str, float]] = field(default_factory=list)


# ---------------------------------------------------------------- sampling


def sample_linear_probe_rows(
    labels: Sequence[Hashable], samples_per_label: int, n_experiments: int, seed: int
) -> list[list[int]]:
    """Training rows of each experiment, in walk order.

    One index list is reshuffled in place by a fresh legacy ``RandomState(seed)`` per
    experiment, so experiment e sees the permutation applied e+1 times; walking it, a row
    is kept while its label has fewer than `samples_per_label` kept rows.
    """
    label_ids = np.unique(np.asarray(labels), return_inverse=True)[1].ravel()
    order = np.arange(len(label_ids))
    experiments = []
    for _ in range(n_experiments):
        # Shuffling an int array draws exactly the permutation a Python list would get.
        np.random.RandomState(seed).shuffle(order)
        keep = _rank_within_label(label_ids[order]) < samples_per_label
        experiments.append(order[keep].tolist())
    return experiments


def _rank_within_label(label_ids: np.ndarray) -> np.ndarray:
    """For each position, how many earlier positions carry the same label."""
    by_label = np.argsort(label_ids, kind="stable")
    sorted_ids = label_ids[by_label]
    group_start = np.r_[0, np.flatnonzero(np.diff(sorted_ids)) + 1]
    group_size = np.diff(np.r_[group_start, len(sorted_ids)])
    rank_sorted = np.arange(len(sorted_ids)) - np.repeat(group_start, group_size)
    rank = np.empty_like(rank_sorted)
    rank[by_label] = rank_sorted
    return rank


def sample_multilabel_rows(
    label_sets: Sequence[Sequence[Hashable]],
    samples_per_label: int,
    n_experiments: int,
    rng: np.random.Generator,
) -> list[list[int]]:
    """Training rows of each experiment for the multi-label probe, in walk order.

    Each experiment shuffles a fresh ``0..n-1`` with the *same* generator (its state carries
    over); a row is kept if any of its labels has fewer than `samples_per_label` kept rows,
    and then every one of its labels is counted.
    """
    experiments = []
    for _ in range(n_experiments):
        order = np.arange(len(label_sets))
        rng.shuffle(order)
        kept_per_label: dict[Hashable, int] = defaultdict(int)
        chosen = []
        for row in order.tolist():
            row_labels = label_sets[row]
            if any(kept_per_label[label] < samples_per_label for label in row_labels):
                chosen.append(row)
                for label in row_labels:
                    kept_per_label[label] += 1
        experiments.append(chosen)
    return experiments


# ---------------------------------------------------------------- metrics


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
    return plain_floats(scores)


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
    return plain_floats(
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
    return {key: nan_mean([exp[key] for exp in per_experiment]) for key in per_experiment[0]}


# ---------------------------------------------------------------- experiments on arrays


def linear_probe_experiments(
    train_embeddings: np.ndarray,
    train_labels: Sequence[Hashable],
    experiments: Sequence[Sequence[int]],
    test_embeddings: np.ndarray,
    test_labels: Sequence[Hashable],
    *,
    seed: int = 42,
    max_iter: int = 100,
) -> list[dict[str, float]]:
    """Fit ``LogisticRegression(max_iter, random_state=seed)`` on each experiment's rows
    of the raw training embeddings and score its predictions on the whole test split.

    `experiments` index rows of `train_embeddings` / `train_labels`.
    """
    predictions = linear_probe_predictions(
        train_embeddings, train_labels, experiments, test_embeddings, seed=seed, max_iter=max_iter
    )
    return [classification_scores(test_labels, predicted) for predicted in predictions]


def linear_probe_predictions(
    train_embeddings: np.ndarray,
    train_labels: Sequence[Hashable],
    experiments: Sequence[Sequence[int]],
    test_embeddings: np.ndarray,
    *,
    seed: int = 42,
    max_iter: int = 100,
) -> list[np.ndarray]:
    """Each experiment's predicted test labels (see `linear_probe_experiments`)."""
    train_labels = np.asarray(train_labels)
    predictions = []
    for rows in experiments:
        rows = np.asarray(rows, dtype=np.int64)
        classifier = LogisticRegression(max_iter=max_iter, random_state=seed)
        classifier.fit(train_embeddings[rows], train_labels[rows])
        predictions.append(classifier.predict(test_embeddings))
    return predictions


def multilabel_probe_experiments(
    train_embeddings: np.ndarray,
    train_label_sets: Sequence[Sequence[Hashable]],
    experiments: Sequence[Sequence[int]],
    test_embeddings: np.ndarray,
    test_label_sets: Sequence[Sequence[Hashable]],
    *,
    n_neighbors: int = 5,
) -> list[dict[str, float]]:
    """Fit ``KNeighborsClassifier(n_neighbors)`` on each experiment's label-indicator matrix.

    As in mteb, the label binarizer is fitted on the *test* label sets; training labels
    unseen in the test split are ignored.
    """
    y_test, predictions = multilabel_probe_predictions(
        train_embeddings,
        train_label_sets,
        experiments,
        test_embeddings,
        test_label_sets,
        n_neighbors=n_neighbors,
    )
    return [multilabel_scores(y_test, predicted) for predicted in predictions]


def multilabel_probe_predictions(
    train_embeddings: np.ndarray,
    train_label_sets: Sequence[Sequence[Hashable]],
    experiments: Sequence[Sequence[int]],
    test_embeddings: np.ndarray,
    test_label_sets: Sequence[Sequence[Hashable]],
    *,
    n_neighbors: int = 5,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The test indicator matrix and each experiment's predicted indicator matrix
    (see `multilabel_probe_experiments`)."""
    binarizer = MultiLabelBinarizer()
    y_test = binarizer.fit_transform(test_label_sets)
    predictions = []
    for rows in experiments:
        rows = list(rows)
        y_train = binarizer.transform([train_label_sets[i] for i in rows])
        classifier = KNeighborsClassifier(n_neighbors=n_neighbors)
        classifier.fit(train_embeddings[np.asarray(rows, dtype=np.int64)], y_train)
        predictions.append(classifier.predict(test_embeddings))
    return y_test, predictions


# ---------------------------------------------------------------- evaluators


def run_linear_probe(spec: TaskSpec, data: ClassificationData, embedder: Embedder) -> ProbeResult:
    """The linear probe with its per-experiment scores (for ``scores_per_experiment``)."""
    task = spec.name
    params = {**LINEAR_PROBE_DEFAULTS, **spec.params}
    train, test = data.train, data.test
    require_same_length(task, "train split", train.inputs, train.labels)
    require_same_length(task, "eval split", test.inputs, test.labels)
    require_rows(task, "eval split", len(test.inputs))

    kept_rows = _rows_after_drop(task, len(train.inputs), params.get("drop_train_rows"))
    all_labels = np.asarray(train.labels)
    require_rows(task, "train split", len(kept_rows))
    positions = sample_linear_probe_rows(
        all_labels[kept_rows],
        int(params["samples_per_label"]),
        int(params["n_experiments"]),
        int(params["seed"]),
    )
    experiment_rows = [kept_rows[np.asarray(p, dtype=np.int64)] for p in positions]
    union = np.unique(np.concatenate(experiment_rows))

    train_emb = embed_checked(
        embedder, train.inputs.subset(union.tolist()), task=task, what="sampled train"
    )
    test_emb = embed_checked(embedder, test.inputs, task=task, what="eval", dim=train_emb.shape[1])
    predictions = linear_probe_predictions(
        train_emb,
        all_labels[union],
        [np.searchsorted(union, rows) for rows in experiment_rows],
        test_emb,
        seed=int(params["seed"]),
        max_iter=int(params["max_iter"]),
    )
    per_experiment = [classification_scores(test.labels, predicted) for predicted in predictions]
    if collecting_per_item():
        truth = np.asarray(test.labels)
        correct = [np.asarray(predicted) == truth for predicted in predictions]
        report_per_item("default", "accuracy", np.mean(correct, axis=0))
    means = mean_over_experiments(per_experiment)
    return ProbeResult(with_main_score(task, means, spec.main_score), per_experiment)


def evaluate_linear_probe(
    spec: TaskSpec, data: ClassificationData, embedder: Embedder
) -> SubsetScores:
    return {"default": run_linear_probe(spec, data, embedder).scores}


def run_multilabel_probe(
    spec: TaskSpec, data: ClassificationData, embedder: Embedder
) -> ProbeResult:
    """The VOC2007 probe with its per-experiment scores.

    The generator is ``default_rng(seed)`` created per call: this equals mteb's first
    evaluation of a freshly built task object (mteb's state would carry into a second one).
    """
    task = spec.name
    params = {**MULTILABEL_PROBE_DEFAULTS, **spec.params}
    train, test = data.train, data.test
    require_same_length(task, "train split", train.inputs, train.labels)
    require_same_length(task, "eval split", test.inputs, test.labels)
    require_rows(task, "eval split", len(test.inputs))
    require_rows(task, "train split", len(train.inputs))

    train_sets = [list(labels) for labels in train.labels]
    experiment_rows = sample_multilabel_rows(
        train_sets,
        int(params["samples_per_label"]),
        int(params["n_experiments"]),
        np.random.default_rng(int(params["seed"])),
    )
    union = np.unique(np.concatenate([np.asarray(r, dtype=np.int64) for r in experiment_rows]))
    train_emb = embed_checked(
        embedder, train.inputs.subset(union.tolist()), task=task, what="sampled train"
    )
    test_emb = embed_checked(embedder, test.inputs, task=task, what="eval", dim=train_emb.shape[1])
    y_test, predictions = multilabel_probe_predictions(
        train_emb,
        [train_sets[i] for i in union.tolist()],
        [np.searchsorted(union, np.asarray(r, dtype=np.int64)) for r in experiment_rows],
        test_emb,
        [list(labels) for labels in test.labels],
        n_neighbors=int(params["n_neighbors"]),
    )
    per_experiment = [multilabel_scores(y_test, predicted) for predicted in predictions]
    if collecting_per_item():
        _report_multilabel_items(y_test, predictions)
    means = mean_over_experiments(per_experiment)
    return ProbeResult(with_main_score(task, means, spec.main_score), per_experiment)


def evaluate_multilabel_probe(
    spec: TaskSpec, data: ClassificationData, embedder: Embedder
) -> SubsetScores:
    return {"default": run_multilabel_probe(spec, data, embedder).scores}


def _report_multilabel_items(y_test: np.ndarray, predictions: Sequence[np.ndarray]) -> None:
    """Per test item, averaged over experiments: exact match, Jaccard and LRAP."""
    predictions = [np.asarray(p).reshape(y_test.shape) for p in predictions]
    per_metric = {
        "accuracy": [(p == y_test).all(axis=1) for p in predictions],
        "lrap": [label_ranking_precision_values(y_test, p) for p in predictions],
        "hamming": [sample_jaccard_values(y_test, p) for p in predictions],
    }
    for metric, values in per_metric.items():
        report_per_item("default", metric, np.mean(values, axis=0))


def _rows_after_drop(task: str, n_rows: int, drop: Sequence[int] | None) -> np.ndarray:
    dropped = sorted({int(i) for i in drop or ()})
    bad = [i for i in dropped if not 0 <= i < n_rows]
    if bad:
        raise ValueError(f"{task}: drop_train_rows {bad} outside the train split (0..{n_rows - 1})")
    return np.setdiff1d(np.arange(n_rows, dtype=np.int64), np.asarray(dropped, dtype=np.int64))
