"""Per-item values for bootstrap intervals: the side channel, each evaluator, the runner."""

from __future__ import annotations

import numpy as np
import pytest
from evaluator_fakes import array_embedder, task_spec
from sklearn.metrics import label_ranking_average_precision_score

from pytest_mieb import run as runner
from pytest_mieb.data.containers import (
    ClassificationData,
    ClusteringData,
    Inputs,
    LabelledImages,
    PairMatchingData,
    RetrievalData,
    RetrievalSubset,
    STSData,
    STSPairs,
    ZeroShotData,
)
from pytest_mieb.evaluators.base import collect_per_item, collecting_per_item, report_per_item
from pytest_mieb.evaluators.classification import evaluate_linear_probe, evaluate_multilabel_probe
from pytest_mieb.evaluators.clustering import evaluate_clustering
from pytest_mieb.evaluators.compositionality import evaluate_pair_matching
from pytest_mieb.evaluators.retrieval import evaluate_multiple_choice, evaluate_retrieval
from pytest_mieb.evaluators.sts import evaluate_visual_sts
from pytest_mieb.evaluators.zeroshot import evaluate_zero_shot
from pytest_mieb.metrics.classification import label_ranking_precision_values
from pytest_mieb.results.bootstrap import bootstrap_ci
from pytest_mieb.tasks.spec import TaskSpec

# Retrieval means are rounded to 5 decimals (as mteb stores them), all but MRR.
ROUNDED_TOLERANCE = 5e-6 + 1e-12


def make_spec(protocol: str, main_score: str, **params) -> TaskSpec:
    return task_spec(f"Fake-{protocol}", "Fake", protocol, main_score, params=params)


def run_both_ways(evaluate, spec, data, embedder):
    """Scores without collection, scores with collection, and the collected store."""
    plain = evaluate(spec, data, embedder)
    with collect_per_item() as store:
        collected = evaluate(spec, data, embedder)
    np.testing.assert_equal(collected, plain)  # NaN-aware: collection changes no score
    return collected, store


def assert_means_match(scores, store, tolerance=1e-12):
    assert store, "nothing was collected"
    for metric, by_subset in store.items():
        for subset, values in by_subset.items():
            assert values.dtype == np.float64 and values.ndim == 1
            assert values.mean() == pytest.approx(scores[subset][metric], abs=tolerance), (
                metric,
                subset,
            )


# ---------------------------------------------------------------- the side channel


def test_nothing_is_collected_outside_the_context():
    assert not collecting_per_item()
    report_per_item("default", "accuracy", [1.0, 0.0])  # no store: silently dropped
    with collect_per_item() as store:
        assert collecting_per_item()
        assert store == {}
    assert not collecting_per_item()
    report_per_item("default", "accuracy", [1.0])
    assert store == {}


def test_report_keeps_a_float64_copy_and_nested_stores_are_separate():
    source = np.array([True, False, True])
    with collect_per_item() as outer:
        report_per_item("en", "accuracy", source)
        with collect_per_item() as inner:
            report_per_item("de", "text_acc", [1, 0])
        report_per_item("fr", "accuracy", [0.5])
    source[0] = False
    assert inner.keys() == {"text_acc"}
    assert outer.keys() == {"accuracy"}
    np.testing.assert_array_equal(outer["accuracy"]["en"], [1.0, 0.0, 1.0])
    assert outer["accuracy"]["en"].dtype == np.float64
    assert outer["accuracy"]["fr"].tolist() == [0.5]


# ---------------------------------------------------------------- evaluators


def noisy_blobs(rng, labels, dim=4, spread=1.2):
    """Overlapping clusters so that classifiers make some (but not only) mistakes."""
    centres = {label: rng.normal(size=dim) * 2 for label in sorted(set(labels))}
    return [centres[label] + rng.normal(size=dim) * spread for label in labels]


@pytest.mark.parametrize("scoring_path", ["clip_softmax", "model_similarity"])
def test_zero_shot_accuracy_is_the_mean_of_per_image_correctness(scoring_path):
    rng = np.random.default_rng(0)
    texts = ["a", "b", "c"]
    labels = rng.integers(0, 3, size=40).tolist()
    text_vectors = rng.normal(size=(3, 5)).astype(np.float32)
    images = [text_vectors[y] + rng.normal(size=5) * 1.5 for y in labels]
    data = ZeroShotData(
        test=LabelledImages(Inputs("zs/test", images=images), labels),
        candidates=Inputs("zs/candidates", texts=texts),
    )
    spec = make_spec("zero_shot", "accuracy", scoring_path=scoring_path)
    scores, store = run_both_ways(
        evaluate_zero_shot, spec, data, array_embedder({"zs/candidates": text_vectors})
    )
    assert 0.2 < scores["default"]["accuracy"] < 1.0  # some mistakes, so the test bites
    assert store.keys() == {"accuracy"}
    assert set(store["accuracy"]["default"].tolist()) == {0.0, 1.0}
    assert_means_match(scores, store)


def test_linear_probe_accuracy_is_the_mean_of_per_item_correctness_over_experiments():
    rng = np.random.default_rng(1)
    train_labels = [i % 3 for i in range(60)]
    test_labels = [i % 3 for i in range(30)]
    vectors = noisy_blobs(rng, train_labels + test_labels)
    data = ClassificationData(
        train=LabelledImages(Inputs("lp/train", images=vectors[:60]), train_labels),
        test=LabelledImages(Inputs("lp/test", images=vectors[60:]), test_labels),
    )
    spec = make_spec("linear_probe", "accuracy", samples_per_label=4, n_experiments=3)
    scores, store = run_both_ways(evaluate_linear_probe, spec, data, array_embedder())
    values = store["accuracy"]["default"]
    assert store.keys() == {"accuracy"}
    assert len(values) == 30
    # Experiments disagree on some items, so some items sit strictly between 0 and 1.
    assert ((values > 0) & (values < 1)).any()
    assert_means_match(scores, store)


def test_multilabel_probe_reports_accuracy_lrap_and_hamming():
    rng = np.random.default_rng(2)
    names = ["cat", "dog", "car", "bus"]
    label_sets = [
        [n for n in names if rng.random() < 0.35] or [names[int(rng.integers(4))]]
        for _ in range(90)
    ]
    centres = rng.normal(size=(4, 6))
    vectors = [
        sum(centres[names.index(n)] for n in labels) + rng.normal(size=6) * 0.8
        for labels in label_sets
    ]
    data = ClassificationData(
        train=LabelledImages(Inputs("ml/train", images=vectors[:60]), label_sets[:60]),
        test=LabelledImages(Inputs("ml/test", images=vectors[60:]), label_sets[60:]),
    )
    spec = make_spec("multilabel_probe", "lrap", samples_per_label=5, n_experiments=3)
    scores, store = run_both_ways(evaluate_multilabel_probe, spec, data, array_embedder())
    assert store.keys() == {"accuracy", "lrap", "hamming"}
    assert 0 < scores["default"]["accuracy"] < 1
    assert_means_match(scores, store)


def test_label_ranking_precision_values_average_to_sklearn_lrap():
    rng = np.random.default_rng(3)
    truth = rng.random((50, 6)) < 0.4
    truth[0] = False  # no true label: scores 1
    truth[1] = True  # only true labels: scores 1
    for scores in (rng.integers(0, 2, size=(50, 6)), rng.integers(0, 4, size=(50, 6)) / 3):
        values = label_ranking_precision_values(truth, scores)
        assert values[0] == values[1] == 1.0
        for i in range(2, 50):  # brute force: sklearn on the single sample
            expected = label_ranking_average_precision_score(truth[i : i + 1], scores[i : i + 1])
            assert values[i] == pytest.approx(expected, abs=1e-12)
        assert values.mean() == pytest.approx(
            label_ranking_average_precision_score(truth, scores), abs=1e-12
        )


def test_compositionality_reports_each_row_check():
    rng = np.random.default_rng(4)
    rows, dim = 30, 4
    images = rng.normal(size=(2, rows, dim)).astype(np.float32)
    texts = (images + rng.normal(size=(2, rows, dim)) * 1.0).astype(np.float32)
    data = PairMatchingData(
        image_columns=[Inputs(f"wino/image{i}", images=list(images[i])) for i in range(2)],
        text_columns=[Inputs(f"wino/text{j}", texts=["t"] * rows) for j in range(2)],
    )
    arrays = {f"wino/text{j}": texts[j] for j in range(2)}
    spec = make_spec("image_text_pair_matching", "text_acc")
    scores, store = run_both_ways(evaluate_pair_matching, spec, data, array_embedder(arrays))
    assert store.keys() == {"image_acc", "text_acc", "accuracy"}
    assert 0 < scores["default"]["accuracy"] < scores["default"]["text_acc"] < 1
    both = store["text_acc"]["default"] * store["image_acc"]["default"]
    np.testing.assert_array_equal(store["accuracy"]["default"], both)
    assert_means_match(scores, store)


def retrieval_subset(rng, tag, n_queries=25, n_docs=40, dim=6, candidates=False):
    query_ids = [f"q{i}" for i in range(n_queries)]
    corpus_ids = [f"d{i:03d}" for i in range(n_docs)]
    qrels = {
        q: {corpus_ids[j]: int(rng.integers(1, 3)) for j in rng.choice(n_docs, 3, replace=False)}
        for q in query_ids
    }
    options = None
    if candidates:
        options = {
            q: sorted({*qrels[q], *(corpus_ids[j] for j in rng.choice(n_docs, 3))})
            for q in query_ids
        }
    subset = RetrievalSubset(
        query_ids=query_ids,
        queries=Inputs(f"{tag}/queries", texts=query_ids),
        corpus_ids=corpus_ids,
        corpus=Inputs(f"{tag}/corpus", texts=corpus_ids),
        qrels=qrels,
        candidates=options,
    )
    arrays = {
        subset.queries.key: rng.normal(size=(n_queries, dim)).astype(np.float32),
        subset.corpus.key: rng.normal(size=(n_docs, dim)).astype(np.float32),
    }
    return subset, arrays


def test_retrieval_per_query_vectors_average_to_every_metric_of_every_subset():
    rng = np.random.default_rng(5)
    (en, en_arrays), (de, de_arrays) = retrieval_subset(rng, "en"), retrieval_subset(rng, "de")
    data = RetrievalData({"en": en, "de": de})
    spec = make_spec("retrieval", "ndcg_at_10", k_values=[1, 5, 10], top_k_retrieved=20)
    scores, store = run_both_ways(
        evaluate_retrieval, spec, data, array_embedder({**en_arrays, **de_arrays})
    )
    assert {"ndcg_at_10", "map_at_5", "recall_at_10", "hit_rate_at_1", "mrr_at_10"} <= set(store)
    assert all(set(by_subset) == {"en", "de"} for by_subset in store.values())
    assert all(len(v) == 25 for by_subset in store.values() for v in by_subset.values())
    assert_means_match(scores, store, tolerance=ROUNDED_TOLERANCE)
    for subset in ("en", "de"):  # MRR is not rounded
        assert store["mrr_at_10"][subset].mean() == pytest.approx(
            scores[subset]["mrr_at_10"], abs=1e-12
        )


def test_multiple_choice_accuracy_is_the_mean_of_per_query_hits():
    rng = np.random.default_rng(6)
    subset, arrays = retrieval_subset(rng, "mc", candidates=True)
    spec = make_spec("multiple_choice", "accuracy", k_values=[1, 3])
    scores, store = run_both_ways(
        evaluate_multiple_choice, spec, RetrievalData({"default": subset}), array_embedder(arrays)
    )
    assert 0 < scores["default"]["accuracy"] < 1
    assert_means_match(scores, store, tolerance=ROUNDED_TOLERANCE)


def test_correlation_and_clustering_metrics_report_nothing():
    rng = np.random.default_rng(7)
    labels = [i % 3 for i in range(30)]
    clustering = ClusteringData(
        test=LabelledImages(Inputs("cl/test", images=noisy_blobs(rng, labels)), labels)
    )
    first, second = rng.normal(size=(2, 12, 4)).astype(np.float32)
    sts = STSData(
        {
            "default": STSPairs(
                first=Inputs("sts/1", images=list(first)),
                second=Inputs("sts/2", images=list(second)),
                scores=rng.uniform(0, 5, size=12).tolist(),
            )
        }
    )
    _, store = run_both_ways(
        evaluate_clustering, make_spec("kmeans_clustering", "nmi"), clustering, array_embedder()
    )
    assert store == {}
    _, store = run_both_ways(
        evaluate_visual_sts, make_spec("visual_sts", "cosine_spearman"), sts, array_embedder()
    )
    assert store == {}


# ---------------------------------------------------------------- runner and bootstrap


@pytest.fixture
def multilingual_retrieval(monkeypatch):
    rng = np.random.default_rng(8)
    (en, en_arrays), (de, de_arrays) = retrieval_subset(rng, "en"), retrieval_subset(rng, "de")
    data = RetrievalData({"en": en, "de": de})
    monkeypatch.setattr("pytest_mieb.data.load_task_data", lambda spec, **kwargs: data)
    spec = make_spec("retrieval", "hit_rate_at_1", k_values=[1, 5, 10], top_k_retrieved=10)
    return spec, array_embedder({**en_arrays, **de_arrays})


def test_runner_collects_only_on_request_and_names_the_main_score(multilingual_retrieval):
    spec, embedder = multilingual_retrieval
    plain = runner.evaluate_task(spec, embedder)
    collected = runner.evaluate_task(spec, embedder, per_item=True)
    assert plain.per_item is None
    assert collected.subsets == plain.subsets
    items = collected.per_item
    assert items["main_score"] is items["hit_rate_at_1"]
    assert set(items["main_score"]) == {"en", "de"}
    for subset, values in items["main_score"].items():
        assert values.mean() == pytest.approx(
            collected.subsets[subset]["main_score"], abs=ROUNDED_TOLERANCE
        )


def test_bootstrap_interval_of_collected_values_brackets_the_point_estimate(
    multilingual_retrieval,
):
    spec, embedder = multilingual_retrieval
    scores = runner.evaluate_task(spec, embedder, per_item=True)
    low, high = bootstrap_ci(scores.per_item["main_score"], n=500, seed=0, alpha=0.05)
    assert low < scores.main_score < high
    ndcg_low, ndcg_high = bootstrap_ci(scores.per_item["ndcg_at_10"]["en"], n=500, seed=0)
    assert ndcg_low < scores.subsets["en"]["ndcg_at_10"] < ndcg_high
