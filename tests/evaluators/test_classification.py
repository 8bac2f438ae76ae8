"""Linear probe and VOC2007 multi-label probe: sampling, metrics and the evaluators."""

from __future__ import annotations

import random
import re
import warnings
from collections import Counter

import numpy as np
import pytest
from evaluator_fakes import VectorEmbedder, task_spec
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_score, recall_score

from pytest_mieb.data.containers import ClassificationData, Inputs, LabelledImages
from pytest_mieb.evaluators.base import collect_per_item
from pytest_mieb.evaluators.classification import (
    evaluate_linear_probe,
    evaluate_multilabel_probe,
    multilabel_probe_predictions,
    run_linear_probe,
    run_multilabel_probe,
    sample_linear_probe_rows,
    sample_multilabel_rows,
)
from pytest_mieb.metrics.classification import (
    classification_scores,
    mean_over_experiments,
    multilabel_scores,
    sample_jaccard_score,
)
from pytest_mieb.tasks.spec import TaskSpec

SINGLE_LABEL_KEYS = [
    "accuracy",
    "f1",
    "f1_weighted",
    "precision",
    "precision_weighted",
    "recall",
    "recall_weighted",
    "ap",
    "ap_weighted",
]


def make_spec(name="Probe", protocol="linear_probe", main_score="accuracy", **params) -> TaskSpec:
    return task_spec(
        name, "ImageClassification", protocol, main_score, "local/probe", params=params
    )


def blobs(rng, labels, dim=6, spread=0.05):
    """One well-separated cluster per label."""
    centres = {label: rng.normal(size=dim) * 5 for label in sorted(set(labels))}
    return [centres[label] + rng.normal(size=dim) * spread for label in labels]


def make_data(train_labels, test_labels, seed=0, **kwargs) -> ClassificationData:
    rng = np.random.default_rng(seed)
    vectors = blobs(rng, list(train_labels) + list(test_labels), **kwargs)
    n = len(train_labels)
    return ClassificationData(
        train=LabelledImages(Inputs("ds@0/default/train/img", images=vectors[:n]), train_labels),
        test=LabelledImages(Inputs("ds@0/default/test/img", images=vectors[n:]), test_labels),
    )


# ---------------------------------------------------------------- sampling


def brute_force_linear_probe_rows(labels, k, n_experiments, seed):
    """The protocol, written as plainly as possible on a Python list."""
    order = list(range(len(labels)))
    result = []
    for _ in range(n_experiments):
        np.random.RandomState(seed).shuffle(order)
        seen = Counter()
        chosen = []
        for i in order:
            if seen[labels[i]] < k:
                seen[labels[i]] += 1
                chosen.append(i)
        result.append(chosen)
    return result


@pytest.mark.parametrize("k", [1, 3, 16])
@pytest.mark.parametrize("seed", [42, 7])
def test_linear_probe_sampling_matches_brute_force(k, seed):
    rng = random.Random(seed)
    labels = [rng.choice(["cat", "dog", "eel", "fox"]) for _ in range(157)]
    assert sample_linear_probe_rows(labels, k, 5, seed) == brute_force_linear_probe_rows(
        labels, k, 5, seed
    )


def test_linear_probe_sampling_reshuffles_cumulatively():
    labels = [i % 4 for i in range(200)]
    five = sample_linear_probe_rows(labels, 3, 5, 42)
    # Experiment e walks the permutation applied e+1 times.
    perm = np.random.RandomState(42).permutation(200)
    twice = perm[perm]
    expected_second = brute_force_walk(twice.tolist(), labels, 3)
    assert five[1] == expected_second
    assert five[0] == sample_linear_probe_rows(labels, 3, 1, 42)[0]
    assert five[0] != five[1]
    for rows in five:
        assert Counter(labels[i] for i in rows) == {0: 3, 1: 3, 2: 3, 3: 3}


def brute_force_walk(order, labels, k):
    seen, chosen = Counter(), []
    for i in order:
        if seen[labels[i]] < k:
            seen[labels[i]] += 1
            chosen.append(i)
    return chosen


def test_linear_probe_sampling_keeps_all_rows_of_small_labels():
    labels = [0] * 10 + [1] * 2
    for rows in sample_linear_probe_rows(labels, 4, 3, 42):
        assert sorted(i for i in rows if labels[i] == 1) == [10, 11]
        assert sum(1 for i in rows if labels[i] == 0) == 4


def brute_force_multilabel_rows(label_sets, k, n_experiments, seed):
    rng = np.random.default_rng(seed)
    result = []
    for _ in range(n_experiments):
        order = list(np.arange(len(label_sets)))
        rng.shuffle(order)
        counts = Counter()
        chosen = []
        for i in order:
            if min(counts[label] for label in label_sets[i]) < k:
                chosen.append(int(i))
                counts.update(label_sets[i])
        result.append(chosen)
    return result


def test_multilabel_sampling_matches_brute_force_and_carries_generator_state():
    rng = random.Random(3)
    label_sets = [rng.sample(range(6), rng.randint(1, 3)) for _ in range(120)]
    got = sample_multilabel_rows(label_sets, 4, 5, np.random.default_rng(42))
    assert got == brute_force_multilabel_rows(label_sets, 4, 5, 42)
    # A carried-over generator state gives different experiments, not five copies.
    assert len({tuple(rows) for rows in got}) == 5


# ---------------------------------------------------------------- metrics


def test_classification_scores_hand_worked():
    scores = classification_scores([0, 0, 1, 1, 2], [0, 1, 1, 1, 2])
    assert list(scores) == SINGLE_LABEL_KEYS
    assert scores["accuracy"] == pytest.approx(0.8)
    # per class precision 1, 2/3, 1; recall 1/2, 1, 1; f1 2/3, 4/5, 1; support 2, 2, 1
    assert scores["precision"] == pytest.approx((1 + 2 / 3 + 1) / 3)
    assert scores["recall"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert scores["f1"] == pytest.approx((2 / 3 + 4 / 5 + 1) / 3)
    assert scores["precision_weighted"] == pytest.approx((2 * 1 + 2 * 2 / 3 + 1) / 5)
    assert scores["recall_weighted"] == pytest.approx((2 * 0.5 + 2 * 1 + 1) / 5)
    assert scores["f1_weighted"] == pytest.approx((2 * 2 / 3 + 2 * 4 / 5 + 1) / 5)
    assert np.isnan(scores["ap"]) and np.isnan(scores["ap_weighted"])


def test_binary_average_precision_from_hard_predictions():
    # Predicted positives {1, 3}: precision 1/2 at recall 1/2; everything: 2/4 at recall 1.
    scores = classification_scores([0, 1, 1, 0], [0, 1, 0, 1])
    assert scores["ap"] == pytest.approx(0.5 * 0.5 + 0.5 * 0.5)
    assert scores["ap_weighted"] == pytest.approx(scores["ap"])


def test_binary_average_precision_from_positive_scores():
    # Ranking 0.9 (pos), 0.8 (neg), 0.3 (pos), 0.1 (neg): AP = (1/1 + 2/3) / 2.
    scores = classification_scores([1, 0, 1, 0], [1, 1, 0, 0], positive_scores=[0.9, 0.8, 0.3, 0.1])
    assert scores["ap"] == pytest.approx((1 + 2 / 3) / 2)


def test_zero_division_matches_sklearn_default():
    y_true = [0, 0, 1, 2, 2, 3]
    y_pred = [0, 0, 0, 2, 2, 2]  # classes 1 and 3 never predicted
    scores = classification_scores(y_true, y_pred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for average, suffix in (("macro", ""), ("weighted", "_weighted")):
            assert scores["precision" + suffix] == precision_score(y_true, y_pred, average=average)
            assert scores["recall" + suffix] == recall_score(y_true, y_pred, average=average)
            assert scores["f1" + suffix] == f1_score(y_true, y_pred, average=average)


def test_mean_over_experiments_skips_undefined_ap():
    per_exp = [{"accuracy": 0.5, "ap": float("nan")}, {"accuracy": 1.0, "ap": float("nan")}]
    means = mean_over_experiments(per_exp)
    assert means["accuracy"] == 0.75
    assert np.isnan(means["ap"])
    assert mean_over_experiments([{"ap": 0.2}, {"ap": float("nan")}])["ap"] == pytest.approx(0.2)


def test_sample_jaccard_hand_worked():
    truth = np.array([[1, 1, 0], [0, 0, 0], [1, 0, 0], [0, 1, 1]])
    pred = np.array([[1, 0, 1], [0, 0, 0], [1, 0, 0], [1, 0, 0]])
    # 1/3, both empty -> 1, 1, 0
    assert sample_jaccard_score(truth, pred) == pytest.approx((1 / 3 + 1 + 1 + 0) / 4)


def brute_force_lrap(truth, scores):
    total = 0.0
    for t, s in zip(truth, scores, strict=True):
        relevant = np.flatnonzero(t)
        if len(relevant) in (0, len(t)):
            total += 1.0
            continue
        per_label = []
        for j in relevant:
            rank = np.sum(s >= s[j])
            rank_relevant = np.sum(s[relevant] >= s[j])
            per_label.append(rank_relevant / rank)
        total += np.mean(per_label)
    return total / len(truth)


def test_multilabel_scores_against_direct_formulas():
    rng = np.random.default_rng(1)
    truth = (rng.random((40, 5)) < 0.4).astype(int)
    pred = (rng.random((40, 5)) < 0.4).astype(int)
    scores = multilabel_scores(truth, pred)
    assert list(scores) == ["accuracy", "lrap", "f1", "hamming"]
    assert scores["accuracy"] == pytest.approx(np.mean((truth == pred).all(axis=1)))
    assert scores["lrap"] == pytest.approx(brute_force_lrap(truth, pred))
    f1s = []
    for j in range(5):
        tp = np.sum(truth[:, j] & pred[:, j])
        denom = truth[:, j].sum() + pred[:, j].sum()
        f1s.append(2 * tp / denom if denom else 0.0)
    assert scores["f1"] == pytest.approx(np.mean(f1s))


# ---------------------------------------------------------------- linear probe evaluator


def test_linear_probe_end_to_end_matches_independent_fit():
    train_labels = [i % 3 for i in range(60)]
    test_labels = [i % 3 for i in range(30)]
    data = make_data(train_labels, test_labels, spread=4.0)  # imperfect, varied accuracies
    spec = make_spec(samples_per_label=4, n_experiments=3, seed=42)
    embedder = VectorEmbedder()
    result = run_linear_probe(spec, data, embedder)

    experiments = brute_force_linear_probe_rows(train_labels, 4, 3, 42)
    union = sorted(set().union(*experiments))
    # The sampled union is embedded once, in row order, and the eval split once.
    assert [c.key for c in embedder.calls] == [
        data.train.inputs.subset(union).key,
        data.test.inputs.key,
    ]
    # Encoders are told the training rows come from the train split (as mteb's hf_split).
    assert [(side, split) for _, side, _, split in embedder.contexts] == [
        (None, "train"),
        (None, None),
    ]
    train_x = np.stack(data.train.inputs.images).astype(np.float32)
    test_x = np.stack(data.test.inputs.images).astype(np.float32)
    for rows, got in zip(experiments, result.per_experiment, strict=True):
        clf = LogisticRegression(max_iter=100, random_state=42)
        clf.fit(train_x[rows], np.asarray(train_labels)[rows])
        pred = clf.predict(test_x)
        assert got["accuracy"] == pytest.approx(np.mean(pred == np.asarray(test_labels)))
        assert got["f1"] == pytest.approx(f1_score(test_labels, pred, average="macro"))
    assert len({e["accuracy"] for e in result.per_experiment}) > 1
    assert result.scores["accuracy"] == pytest.approx(
        np.mean([e["accuracy"] for e in result.per_experiment])
    )
    assert result.scores["main_score"] == result.scores["accuracy"]
    assert list(result.scores) == [*SINGLE_LABEL_KEYS, "main_score"]


def test_linear_probe_separable_data_scores_perfectly():
    data = make_data([i % 4 for i in range(80)], [i % 4 for i in range(40)])
    scores = evaluate_linear_probe(
        make_spec(samples_per_label=5, n_experiments=2), data, VectorEmbedder()
    )
    assert set(scores) == {"default"}
    assert scores["default"]["accuracy"] == 1.0
    assert scores["default"]["f1"] == 1.0
    assert np.isnan(scores["default"]["ap"])


def test_linear_probe_binary_task_reports_ap():
    data = make_data([i % 2 for i in range(40)], [i % 2 for i in range(20)])
    scores = evaluate_linear_probe(
        make_spec(samples_per_label=5, n_experiments=2), data, VectorEmbedder()
    )
    assert scores["default"]["ap"] == 1.0
    assert scores["default"]["ap_weighted"] == 1.0


def test_linear_probe_defaults_and_params():
    data = make_data([i % 2 for i in range(100)], [0, 1] * 5)
    default = run_linear_probe(make_spec(), data, VectorEmbedder())
    assert len(default.per_experiment) == 5
    stl10 = run_linear_probe(
        make_spec(samples_per_label=8, n_experiments=10), data, VectorEmbedder()
    )
    assert len(stl10.per_experiment) == 10


def test_drop_train_rows_removes_the_row_before_sampling():
    train_labels = [i % 2 for i in range(20)]
    data = make_data(train_labels, [0, 1] * 3)
    embedder = VectorEmbedder()
    run_linear_probe(
        make_spec(samples_per_label=10, n_experiments=1, drop_train_rows=[3]), data, embedder
    )
    # With 10 per label and 10 rows per label, everything except the dropped row is used.
    expected = [i for i in range(20) if i != 3]
    assert embedder.calls[0].key == data.train.inputs.subset(expected).key
    with pytest.raises(ValueError, match=r"Probe: drop_train_rows \[20\]"):
        run_linear_probe(make_spec(drop_train_rows=[20]), data, VectorEmbedder())


def test_drop_train_rows_sampling_walks_the_remaining_rows():
    rng = random.Random(5)
    labels = [rng.randint(0, 2) for _ in range(50)]
    data = make_data(labels, [0, 1, 2])
    embedder = VectorEmbedder()
    run_linear_probe(
        make_spec(samples_per_label=2, n_experiments=3, drop_train_rows=[7]), data, embedder
    )
    remaining = [i for i in range(50) if i != 7]
    positions = brute_force_linear_probe_rows([labels[i] for i in remaining], 2, 3, 42)
    union = sorted({remaining[p] for rows in positions for p in rows})
    assert embedder.calls[0].key == data.train.inputs.subset(union).key


def test_linear_probe_is_deterministic():
    data = make_data([i % 3 for i in range(45)], [i % 3 for i in range(12)], spread=3.0)
    spec = make_spec(samples_per_label=3, n_experiments=4)
    first = evaluate_linear_probe(spec, data, VectorEmbedder())
    second = evaluate_linear_probe(spec, data, VectorEmbedder())
    assert repr(first) == repr(second)


class BrokenEmbedder(VectorEmbedder):
    def __init__(self, breaker) -> None:
        super().__init__()
        self.breaker = breaker

    def embed(self, inputs, **where):
        return self.breaker(inputs, super().embed(inputs, **where))


def _nan_in_test(inputs, emb):
    if "test" in inputs.key:
        emb[1, 0] = np.nan
    return emb


def _zero_in_train(inputs, emb):
    if "train" in inputs.key:
        emb[0] = 0.0
    return emb


def _narrow_test(inputs, emb):
    return emb[:, :3] if "test" in inputs.key else emb


@pytest.mark.parametrize(
    ("breaker", "message"),
    [
        (_nan_in_test, "NaN or inf"),
        (_zero_in_train, "all-zero"),
        (_narrow_test, "dimension 3, expected 6"),
    ],
)
def test_bad_embeddings_raise_naming_the_task(breaker, message):
    data = make_data([i % 2 for i in range(10)], [0, 1, 0])
    with pytest.raises(ValueError, match=f"Probe: .*{message}"):
        evaluate_linear_probe(
            make_spec(samples_per_label=2, n_experiments=1), data, BrokenEmbedder(breaker)
        )


def test_label_count_mismatch_raises():
    data = make_data([0, 1, 0, 1], [0, 1])
    bad = ClassificationData(train=LabelledImages(data.train.inputs, [0, 1, 0]), test=data.test)
    with pytest.raises(ValueError, match="Probe: train split has 4 inputs but 3 labels"):
        evaluate_linear_probe(make_spec(), bad, VectorEmbedder())


def test_unknown_main_score_raises():
    data = make_data([0, 1] * 4, [0, 1])
    with pytest.raises(ValueError, match="main score 'lrap'"):
        evaluate_linear_probe(make_spec(main_score="lrap", n_experiments=1), data, VectorEmbedder())


# ---------------------------------------------------------------- multi-label evaluator


def make_multilabel_data(n_train=60, n_test=25, n_labels=4, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_labels, 8)) * 3

    def rows(n):
        sets, vectors = [], []
        for _ in range(n):
            chosen = sorted(rng.choice(n_labels, size=rng.integers(1, 3), replace=False).tolist())
            sets.append(chosen)
            vectors.append(centres[chosen].sum(axis=0) + rng.normal(size=8))
        return sets, vectors

    train_sets, train_vectors = rows(n_train)
    test_sets, test_vectors = rows(n_test)
    return ClassificationData(
        train=LabelledImages(Inputs("voc@0/default/train/image", images=train_vectors), train_sets),
        test=LabelledImages(Inputs("voc@0/default/test/image", images=test_vectors), test_sets),
    )


def test_multilabel_probe_matches_brute_force_knn():
    data = make_multilabel_data()
    spec = make_spec("VOC", "multilabel_probe", "lrap", samples_per_label=6, n_experiments=3)
    embedder = VectorEmbedder()
    result = run_multilabel_probe(spec, data, embedder)

    experiments = brute_force_multilabel_rows(data.train.labels, 6, 3, 42)
    union = sorted(set().union(*experiments))
    assert [c.key for c in embedder.calls] == [
        data.train.inputs.subset(union).key,
        data.test.inputs.key,
    ]
    # Encoders are told the training rows come from the train split (as mteb's hf_split).
    assert [(side, split) for _, side, _, split in embedder.contexts] == [
        (None, "train"),
        (None, None),
    ]
    train_x = np.stack(data.train.inputs.images).astype(np.float32)
    test_x = np.stack(data.test.inputs.images).astype(np.float32)
    truth = np.zeros((len(test_x), 4), dtype=int)
    for i, labels in enumerate(data.test.labels):
        truth[i, labels] = 1
    for rows, got in zip(experiments, result.per_experiment, strict=True):
        train_truth = np.zeros((len(rows), 4), dtype=int)
        for r, i in enumerate(rows):
            train_truth[r, data.train.labels[i]] = 1
        distances = ((test_x[:, None, :] - train_x[rows][None, :, :]) ** 2).sum(axis=2)
        nearest = np.argsort(distances, axis=1)[:, :5]
        pred = (train_truth[nearest].sum(axis=1) >= 3).astype(int)
        assert got["accuracy"] == pytest.approx(np.mean((pred == truth).all(axis=1)))
        assert got["lrap"] == pytest.approx(brute_force_lrap(truth, pred))
        assert got["hamming"] == pytest.approx(sample_jaccard_score(truth, pred))
    assert result.scores["main_score"] == result.scores["lrap"]
    assert list(result.scores) == ["accuracy", "lrap", "f1", "hamming", "main_score"]


def test_multilabel_probe_deterministic_and_via_registry_name():
    data = make_multilabel_data(seed=4)
    spec = make_spec("VOC", "multilabel_probe", "lrap", n_experiments=2)
    first = evaluate_multilabel_probe(spec, data, VectorEmbedder())
    assert repr(first) == repr(evaluate_multilabel_probe(spec, data, VectorEmbedder()))
    assert 0.0 <= first["default"]["lrap"] <= 1.0


def test_multilabel_probe_ignores_train_labels_missing_from_test():
    data = make_multilabel_data(seed=2)
    extra = [[*labels, 99] if i % 5 == 0 else labels for i, labels in enumerate(data.train.labels)]
    data = ClassificationData(train=LabelledImages(data.train.inputs, extra), test=data.test)
    spec = make_spec("VOC", "multilabel_probe", "lrap", n_experiments=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scores = evaluate_multilabel_probe(spec, data, VectorEmbedder())
    assert np.isfinite(scores["default"]["lrap"])


# ---------------------------------------------------------------- exact error messages


def _with(data, train=None, test=None):
    return ClassificationData(train=train or data.train, test=test or data.test)


def _labels_cut(part):
    return LabelledImages(part.inputs, list(part.labels)[:-1])


def _nan_in(side):
    def breaker(inputs, emb):
        if side in inputs.key:
            emb[0, 0] = np.nan
        return emb

    return breaker


def _empty(part):
    return LabelledImages(Inputs(part.inputs.key + "-empty", images=[]), [])


def _error_cases(data, spec_kwargs):
    """(data, spec kwargs, embedder breaker, exact message start) for each failure."""
    return [
        (_with(data, train=_labels_cut(data.train)), {}, None, "train split has 10 inputs but 9"),
        (
            _with(data, test=_labels_cut(data.test)),
            {},
            None,
            "eval split has 3 inputs but 2 labels",
        ),
        (_with(data, test=_empty(data.test)), {}, None, "eval split is empty"),
        (_with(data, train=_empty(data.train)), {}, None, "train split is empty"),
        (data, {}, _nan_in("train"), "sampled train embeddings contain NaN or inf in 1 row(s)"),
        (data, {}, _nan_in("test"), "eval embeddings contain NaN or inf in 1 row(s)"),
        (data, {}, _narrow_test, "eval embeddings have dimension 3, expected 6"),
        (data, {"main_score": "nope"}, None, "main score 'nope' is not one of the metrics"),
    ]


@pytest.mark.parametrize("case", range(8))
def test_linear_probe_error_messages_name_task_and_side(case):
    data = make_data([i % 2 for i in range(10)], [0, 1, 0])
    bad, extra, breaker, message = _error_cases(data, {})[case]
    embedder = BrokenEmbedder(breaker) if breaker else VectorEmbedder()
    spec = make_spec("LP", samples_per_label=2, n_experiments=1, **extra)
    with pytest.raises(ValueError, match="^" + re.escape(f"LP: {message}")):
        run_linear_probe(spec, bad, embedder)


def test_linear_probe_train_empty_after_drop():
    data = make_data([0], [0, 1])
    with pytest.raises(ValueError, match=r"^LP: train split is empty$"):
        run_linear_probe(make_spec("LP", drop_train_rows=[0]), data, VectorEmbedder())


def test_drop_train_rows_bounds():
    data = make_data([i % 2 for i in range(20)], [0, 1])
    embedder = VectorEmbedder()
    run_linear_probe(
        make_spec(samples_per_label=10, n_experiments=1, drop_train_rows=[0]), data, embedder
    )
    # Row 0 is a valid row to drop; all others are used.
    assert embedder.calls[0].key == data.train.inputs.subset(list(range(1, 20))).key
    for bad in ([20], [-1], [25, 3]):
        wrong = sorted(i for i in bad if not 0 <= i < 20)
        with pytest.raises(ValueError) as info:
            run_linear_probe(make_spec("LP", drop_train_rows=bad), data, VectorEmbedder())
        assert str(info.value) == (f"LP: drop_train_rows {wrong} outside the train split (0..19)")


def _multilabel_cases(data):
    empty_train = LabelledImages(Inputs("voc-empty-train", images=[]), [])
    cases = [
        (_with(data, train=_labels_cut(data.train)), {}, None, "train split has 12 inputs but 11"),
        (
            _with(data, test=_labels_cut(data.test)),
            {},
            None,
            "eval split has 6 inputs but 5 labels",
        ),
        (_with(data, test=_empty(data.test)), {}, None, "eval split is empty"),
        (_with(data, train=empty_train), {}, None, "train split is empty"),
        (data, {}, _nan_in("train"), "sampled train embeddings contain NaN or inf in 1 row(s)"),
        (data, {}, _nan_in("test"), "eval embeddings contain NaN or inf in 1 row(s)"),
        (data, {}, _narrow_test, "eval embeddings have dimension 3, expected 8"),
        (data, {"main_score": "nope"}, None, "main score 'nope' is not one of the metrics"),
    ]
    return cases


@pytest.mark.parametrize("case", range(8))
def test_multilabel_probe_error_messages_name_task_and_side(case):
    data = make_multilabel_data(n_train=12, n_test=6)
    bad, extra, breaker, message = _multilabel_cases(data)[case]
    embedder = BrokenEmbedder(breaker) if breaker else VectorEmbedder()
    kwargs = {"main_score": "lrap", **extra}
    spec = make_spec("ML", "multilabel_probe", samples_per_label=2, n_experiments=1, **kwargs)
    with pytest.raises(ValueError, match="^" + re.escape(f"ML: {message}")):
        run_multilabel_probe(spec, bad, embedder)


# ---------------------------------------------------------------- classifier params reach sklearn


def test_linear_probe_max_iter_reaches_logistic_regression():
    train_labels = [i % 3 for i in range(60)]
    test_labels = [i % 3 for i in range(30)]
    data = make_data(train_labels, test_labels, spread=4.0)
    experiments = brute_force_linear_probe_rows(train_labels, 6, 2, 42)
    train_x = np.stack(data.train.inputs.images).astype(np.float32)
    test_x = np.stack(data.test.inputs.images).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_linear_probe(
            make_spec(samples_per_label=6, n_experiments=2, max_iter=1), data, VectorEmbedder()
        )
        for rows, got in zip(experiments, result.per_experiment, strict=True):
            pred = LogisticRegression(max_iter=1).fit(train_x[rows], np.asarray(train_labels)[rows])
            full = LogisticRegression().fit(train_x[rows], np.asarray(train_labels)[rows])
            assert got["f1"] == pytest.approx(
                f1_score(test_labels, pred.predict(test_x), average="macro")
            )
            assert not np.allclose(pred.predict_proba(test_x), full.predict_proba(test_x))


def test_multilabel_probe_n_neighbors_reaches_knn():
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    data = make_multilabel_data(seed=3)
    results = {}
    for k in (1, 9):
        spec = make_spec(
            "VOC", "multilabel_probe", "lrap", samples_per_label=6, n_experiments=2, n_neighbors=k
        )
        results[k] = run_multilabel_probe(spec, data, VectorEmbedder())
    experiments = brute_force_multilabel_rows(data.train.labels, 6, 2, 42)
    train_x = np.stack(data.train.inputs.images).astype(np.float32)
    test_x = np.stack(data.test.inputs.images).astype(np.float32)
    binarizer = MultiLabelBinarizer().fit(data.test.labels)
    truth = binarizer.transform(data.test.labels)
    for k, result in results.items():
        for rows, got in zip(experiments, result.per_experiment, strict=True):
            knn = KNeighborsClassifier(n_neighbors=k).fit(
                train_x[rows], binarizer.transform([data.train.labels[i] for i in rows])
            )
            assert got["lrap"] == pytest.approx(brute_force_lrap(truth, knn.predict(test_x)))
    assert results[1].scores["lrap"] != results[9].scores["lrap"]


def test_multilabel_per_item_values_are_means_over_experiments():
    data = make_multilabel_data(seed=1)
    spec = make_spec("VOC", "multilabel_probe", "lrap", samples_per_label=3, n_experiments=2)
    with collect_per_item() as store:
        result = run_multilabel_probe(spec, data, VectorEmbedder())
    for metric in ("accuracy", "lrap", "hamming"):
        values = store[metric]["default"]
        assert values.shape == (25,)
        assert values.mean() == pytest.approx(result.scores[metric])
    assert set(store["accuracy"]["default"]) <= {0.0, 0.5, 1.0}


def test_a_multilabel_test_split_with_a_single_label_is_scored_not_crashed():
    # two train images near (1, 0) carry "cat", two near (0, 1) carry nothing; the test split
    # only knows "cat", so the indicator matrices have one column
    train = [[1.0, 0.1], [0.9, 0.0], [0.0, 1.0], [0.1, 0.9]]
    y_train, y_test = [["cat"], ["cat"], [], []], [["cat"], []]
    test_x = np.array([[1.0, 0.0], [0.0, 1.0]])
    y_true, [predicted] = multilabel_probe_predictions(
        np.array(train), y_train, [[0, 1, 2, 3]], test_x, y_test, n_neighbors=1
    )
    assert y_true.tolist() == [[1], [0]]
    assert predicted.tolist() == [[1], [0]]


def test_a_single_label_probe_gives_scikit_learn_a_one_dimensional_target():
    """A column-vector target works too, but scikit-learn warns about it on every fit."""
    train = np.array([[1.0, 0.1], [0.9, 0.0], [0.0, 1.0], [0.1, 0.9]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        multilabel_probe_predictions(
            train, [["cat"], ["cat"], [], []], [[0, 1, 2, 3]], train[:2], [["cat"], []],
            n_neighbors=1,
        )  # fmt: skip


def test_a_multilabel_test_split_with_two_labels_predicts_both_columns():
    # "cat" near (1, 0), "dog" near (0, 1); the nearest train image decides each test image
    train = [[1.0, 0.1], [0.9, 0.0], [0.0, 1.0], [0.1, 0.9]]
    y_train = [["cat"], ["cat", "dog"], ["dog"], []]
    test_x = np.array([[0.95, 0.0], [0.05, 1.0], [0.1, 0.85]])
    y_true, [predicted] = multilabel_probe_predictions(
        np.array(train), y_train, [[0, 1, 2, 3]], test_x, [["cat"], ["dog"], []], n_neighbors=1
    )
    assert y_true.tolist() == [[1, 0], [0, 1], [0, 0]]
    assert predicted.tolist() == [[1, 1], [0, 1], [0, 0]]  # nearest: rows 1, 2 and 3
