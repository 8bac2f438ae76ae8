"""Linear-probe (ImageClassification) and VOC2007 multi-label probe evaluators.

Protocol: mieb-protocols.md 3.1 and 3.2. Both sample a few training rows per label for each
experiment, embed the union of sampled rows once and the evaluation split once, fit a
small scikit-learn classifier per experiment and report the mean over experiments.

Task params read (types and defaults: `pytest_mieb.tasks.protocols`):

* linear probe: ``samples_per_label``, ``n_experiments``, ``seed``, ``max_iter``
  (LogisticRegression), ``drop_train_rows`` -- train row numbers removed before sampling
  (Birdsnap: [3854]). The evaluator applies this drop; the data layer must hand over the
  *full* train split.
* multi-label probe: ``samples_per_label``, ``n_experiments``, ``seed``, ``n_neighbors``.

The metrics themselves are in `pytest_mieb.metrics.classification`.

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

from pytest_mieb.data.containers import ClassificationData
from pytest_mieb.evaluators._common import (
    embed_checked,
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
from pytest_mieb.metrics.classification import LIBRARIES as METRIC_LIBRARIES
from pytest_mieb.metrics.classification import (
    classification_scores,
    label_ranking_precision_values,
    mean_over_experiments,
    multilabel_scores,
    sample_jaccard_values,
)
from pytest_mieb.tasks.spec import TaskSpec

#: Imported where they are used, not with this module, so that a session can import them
#: while its first images are encoded (`pytest_mieb.spare_time`); listed here for that.
LIBRARIES = (
    "sklearn.linear_model",
    "sklearn.neighbors",
    "sklearn.preprocessing",
    *METRIC_LIBRARIES,
)


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


# ---------------------------------------------------------------- experiments on arrays


def linear_probe_predictions(
    train_embeddings: np.ndarray,
    train_labels: Sequence[Hashable],
    experiments: Sequence[Sequence[int]],
    test_embeddings: np.ndarray,
    *,
    seed: int = 42,
    max_iter: int = 100,
) -> list[np.ndarray]:
    """Each experiment's predicted test labels: ``LogisticRegression(max_iter,
    random_state=seed)`` fitted on the experiment's rows of the raw training embeddings."""
    from sklearn.linear_model import LogisticRegression

    train_labels = np.asarray(train_labels)
    predictions = []
    for rows in experiments:
        rows = np.asarray(rows, dtype=np.int64)
        classifier = LogisticRegression(max_iter=max_iter, random_state=seed)
        classifier.fit(train_embeddings[rows], train_labels[rows])
        predictions.append(classifier.predict(test_embeddings))
    return predictions


def multilabel_probe_predictions(
    train_embeddings: np.ndarray,
    train_label_sets: Sequence[Sequence[Hashable]],
    experiments: Sequence[Sequence[int]],
    test_embeddings: np.ndarray,
    test_label_sets: Sequence[Sequence[Hashable]],
    *,
    n_neighbors: int = 5,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The test indicator matrix and each experiment's predicted indicator matrix, from
    ``KNeighborsClassifier(n_neighbors)``. As in mteb, the label binarizer is fitted on the
    *test* label sets; training labels unseen in the test split are ignored."""
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    binarizer = MultiLabelBinarizer()
    y_test = binarizer.fit_transform(test_label_sets)
    predictions = []
    for rows in experiments:
        rows = list(rows)
        y_train = binarizer.transform([train_label_sets[i] for i in rows])
        classifier = KNeighborsClassifier(n_neighbors=n_neighbors)
        # one label column: scikit-learn takes it as single-output and predicts 1-D
        target = y_train[:, 0] if y_train.shape[1] == 1 else y_train
        classifier.fit(train_embeddings[np.asarray(rows, dtype=np.int64)], target)
        predictions.append(np.asarray(classifier.predict(test_embeddings)).reshape(y_test.shape))
    return y_test, predictions


# ---------------------------------------------------------------- evaluators


def _train_split(spec: TaskSpec) -> str:
    """The split a probe's training rows come from, as encoders are told (mteb: "train")."""
    return spec.train_split or "train"


def run_linear_probe(spec: TaskSpec, data: ClassificationData, embedder: Embedder) -> ProbeResult:
    """The linear probe with its per-experiment scores (for ``scores_per_experiment``)."""
    task = spec.name
    params = spec.params
    train, test = data.train, data.test
    require_same_length(task, "train split", train.inputs, train.labels)
    require_same_length(task, "eval split", test.inputs, test.labels)
    require_rows(task, "eval split", len(test.inputs))

    kept_rows = _rows_after_drop(task, len(train.inputs), params["drop_train_rows"])
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
        embedder,
        train.inputs.subset(union.tolist()),
        task=task,
        what="sampled train",
        split=_train_split(spec),
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
    params = spec.params
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
        embedder,
        train.inputs.subset(union.tolist()),
        task=task,
        what="sampled train",
        split=_train_split(spec),
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


def _rows_after_drop(task: str, n_rows: int, drop: Sequence[int]) -> np.ndarray:
    dropped = sorted({int(i) for i in drop})
    bad = [i for i in dropped if not 0 <= i < n_rows]
    if bad:
        raise ValueError(f"{task}: drop_train_rows {bad} outside the train split (0..{n_rows - 1})")
    return np.setdiff1d(np.arange(n_rows, dtype=np.int64), np.asarray(dropped, dtype=np.int64))
