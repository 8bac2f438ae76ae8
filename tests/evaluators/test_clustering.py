"""ImageClustering: metrics against direct formulas, and the k-means evaluator."""

from __future__ import annotations

import itertools
import math
from collections import Counter

import numpy as np
import pytest
from evaluator_fakes import VectorEmbedder, task_spec
from sklearn.cluster import MiniBatchKMeans

from pytest_mieb.data.containers import ClusteringData, Inputs, LabelledImages
from pytest_mieb.evaluators.clustering import (
    cluster_accuracy,
    clustering_scores,
    evaluate_clustering,
    kmeans_assignments,
)
from pytest_mieb.tasks.spec import TaskSpec


def make_spec(main_score="nmi", **params) -> TaskSpec:
    return task_spec(
        "Clust", "ImageClustering", "kmeans_clustering", main_score, "local/clust", params=params
    )


def make_data(labels, spread=0.05, dim=5, seed=0) -> ClusteringData:
    rng = np.random.default_rng(seed)
    centres = {label: rng.normal(size=dim) * 10 for label in sorted(set(labels))}
    vectors = [centres[label] + rng.normal(size=dim) * spread for label in labels]
    return ClusteringData(
        test=LabelledImages(Inputs("c@0/default/test/img", images=vectors), labels)
    )


# ---------------------------------------------------------------- independent computations


def entropy(values):
    n = len(values)
    return -sum(c / n * math.log(c / n) for c in Counter(values).values())


def mutual_information(a, b):
    n = len(a)
    joint, pa, pb = Counter(zip(a, b, strict=True)), Counter(a), Counter(b)
    return sum(c / n * math.log(c * n / (pa[x] * pb[y])) for (x, y), c in joint.items())


def brute_force_accuracy(labels, clusters):
    label_ids, cluster_ids = sorted(set(labels)), sorted(set(clusters))
    best = 0
    size = max(len(label_ids), len(cluster_ids))
    padded = cluster_ids + [None] * (size - len(cluster_ids))
    for perm in itertools.permutations(padded, len(label_ids)):
        mapping = dict(zip(label_ids, perm, strict=True))
        best = max(best, sum(1 for y, c in zip(labels, clusters, strict=True) if mapping[y] == c))
    return best / len(labels)


def brute_force_ari(a, b):
    pairs = list(itertools.combinations(range(len(a)), 2))
    same_a = [a[i] == a[j] for i, j in pairs]
    same_b = [b[i] == b[j] for i, j in pairs]
    index = sum(x and y for x, y in zip(same_a, same_b, strict=True))
    sa, sb, total = sum(same_a), sum(same_b), len(pairs)
    expected = sa * sb / total
    return (index - expected) / ((sa + sb) / 2 - expected)


def test_cluster_accuracy_hand_worked():
    # Best matching: label 0 -> cluster 1 (2 items), 1 -> 0 (2), 2 -> 2 (1): 5 of 6.
    assert cluster_accuracy([0, 0, 1, 1, 2, 2], [1, 1, 0, 0, 0, 2]) == pytest.approx(5 / 6)
    assert cluster_accuracy(["a", "a", "b"], [7, 7, 3]) == 1.0


@pytest.mark.parametrize("seed", range(4))
def test_metrics_match_direct_formulas(seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, size=30).tolist()
    clusters = rng.integers(0, 4, size=30).tolist()
    scores = clustering_scores(labels, clusters)
    assert list(scores) == ["v_measure", "nmi", "ari", "cluster_accuracy"]
    nmi = mutual_information(labels, clusters) / ((entropy(labels) + entropy(clusters)) / 2)
    assert scores["nmi"] == pytest.approx(nmi)
    assert scores["v_measure"] == pytest.approx(nmi)  # V-measure = arithmetic-mean NMI
    assert scores["ari"] == pytest.approx(brute_force_ari(labels, clusters))
    assert scores["cluster_accuracy"] == pytest.approx(brute_force_accuracy(labels, clusters))


def test_renamed_perfect_clustering_scores_one():
    scores = clustering_scores([0, 0, 1, 1, 2], [5, 5, 3, 3, 9])
    assert scores == {"v_measure": 1.0, "nmi": 1.0, "ari": 1.0, "cluster_accuracy": 1.0}


# ---------------------------------------------------------------- evaluator


def test_kmeans_uses_the_protocol_settings():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    ref = MiniBatchKMeans(
        n_clusters=3, batch_size=500, n_init="auto", compute_labels=True, random_state=42
    ).fit(x)
    settings = {key: make_spec().params[key] for key in ("seed", "batch_size")}
    assert settings == {"seed": 42, "batch_size": 500}  # the protocol's defaults
    assert kmeans_assignments(x, 3, **settings).tolist() == ref.labels_.tolist()
    other_seed = kmeans_assignments(x, 3, seed=1, batch_size=500)
    assert len(set(other_seed.tolist())) == 3


def test_evaluate_clustering_recovers_separated_groups():
    labels = [3, 7, 9] * 20  # non-contiguous label ids: 3 clusters
    data = make_data(labels)
    embedder = VectorEmbedder()
    scores = evaluate_clustering(make_spec(), data, embedder)
    assert set(scores) == {"default"}
    got = scores["default"]
    assert got == {
        "v_measure": 1.0,
        "nmi": 1.0,
        "ari": 1.0,
        "cluster_accuracy": 1.0,
        "main_score": 1.0,
    }
    assert [c.key for c in embedder.calls] == ["c@0/default/test/img"]


def test_evaluate_clustering_imperfect_and_deterministic():
    labels = [i % 4 for i in range(80)]
    data = make_data(labels, spread=12.0, seed=3)
    first = evaluate_clustering(make_spec(main_score="ari"), data, VectorEmbedder())
    second = evaluate_clustering(make_spec(main_score="ari"), data, VectorEmbedder())
    assert first == second
    assert 0.0 < first["default"]["nmi"] < 1.0
    assert first["default"]["main_score"] == first["default"]["ari"]
    x = np.stack(data.test.inputs.images).astype(np.float32)
    expected = clustering_scores(labels, kmeans_assignments(x, 4, seed=42, batch_size=500))
    assert first["default"]["nmi"] == expected["nmi"]


def test_bad_embeddings_raise_naming_the_task():
    data = make_data([0, 1] * 5)

    class NanEmbedder(VectorEmbedder):
        def embed(self, inputs, **where):
            emb = super().embed(inputs, **where)
            emb[2, 1] = np.inf
            return emb

    with pytest.raises(ValueError, match="Clust: eval embeddings contain NaN or inf"):
        evaluate_clustering(make_spec(), data, NanEmbedder())


def test_label_mismatch_and_empty_split_raise():
    data = make_data([0, 1, 0, 1])
    short = ClusteringData(test=LabelledImages(data.test.inputs, [0, 1]))
    with pytest.raises(ValueError, match="Clust: eval split has 4 inputs but 2 labels"):
        evaluate_clustering(make_spec(), short, VectorEmbedder())
    empty = ClusteringData(test=LabelledImages(Inputs("e", images=[]), []))
    with pytest.raises(ValueError, match="Clust: eval split is empty"):
        evaluate_clustering(make_spec(), empty, VectorEmbedder())


def test_kmeans_takes_the_given_batch_size():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(300, 4)).astype(np.float32)  # no structure: the batches matter

    def sklearn_labels(batch_size):
        model = MiniBatchKMeans(
            n_clusters=5, batch_size=batch_size, n_init="auto", compute_labels=True, random_state=7
        )
        return model.fit(x).labels_.tolist()

    assert sklearn_labels(16) != sklearn_labels(1024)  # else this test could not tell them apart
    assert kmeans_assignments(x, 5, seed=7, batch_size=16).tolist() == sklearn_labels(16)


def test_a_main_score_clustering_does_not_compute_is_a_spec_error_naming_the_task():
    with pytest.raises(
        ValueError, match=r"^Clust: main score 'accuracy' is not one of the metrics"
    ):
        evaluate_clustering(
            make_spec(main_score="accuracy"), make_data([0, 1] * 5), VectorEmbedder()
        )
