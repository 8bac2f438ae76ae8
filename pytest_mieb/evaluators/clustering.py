"""ImageClustering evaluator: one MiniBatchKMeans run over the whole evaluation split.

Protocol: mieb-protocols.md 3.3. Task params read: ``seed`` (k-means random_state) and
``batch_size`` (k-means mini-batch size), defaults in `pytest_mieb.tasks.protocols`; the
number of clusters is always the number of distinct gold labels.

No per-item values are reported (see `collect_per_item`): NMI, ARI and V-measure are not
means over items, and the cluster accuracy's matching depends on the whole sample.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from pytest_mieb.data.containers import ClusteringData
from pytest_mieb.evaluators._common import (
    embed_checked,
    plain_floats,
    require_rows,
    require_same_length,
    with_main_score,
)
from pytest_mieb.evaluators.base import Embedder, SubsetScores
from pytest_mieb.tasks.spec import TaskSpec

#: Imported where they are used, not with this module, so that a session can import them
#: while its first images are encoded (`pytest_mieb.spare_time`); listed here for that.
LIBRARIES = ("scipy.optimize", "sklearn.cluster", "sklearn.metrics", "sklearn.metrics.cluster")


def kmeans_assignments(
    embeddings: np.ndarray,
    n_clusters: int,
    *,
    seed: int,
    batch_size: int,
) -> np.ndarray:
    """Cluster ids from ``MiniBatchKMeans(n_init="auto", compute_labels=True)`` fitted once."""
    from sklearn.cluster import MiniBatchKMeans

    model = MiniBatchKMeans(
        n_clusters=n_clusters,
        batch_size=batch_size,
        n_init="auto",
        compute_labels=True,
        random_state=seed,
    )
    model.fit(embeddings)
    return np.asarray(model.labels_)


def cluster_accuracy(labels: Sequence[Hashable], assignments: Sequence[int]) -> float:
    """Share of items on the best one-to-one matching of clusters to gold labels."""
    from scipy.optimize import linear_sum_assignment
    from sklearn.metrics.cluster import contingency_matrix

    counts = contingency_matrix(labels, assignments)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return float(counts[rows, cols].sum() / len(labels))


def clustering_scores(labels: Sequence[Hashable], assignments: Sequence[int]) -> dict[str, float]:
    """Gold labels vs cluster ids, in mteb's key order; nmi uses the arithmetic normaliser."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, v_measure_score

    labels = np.asarray(labels)
    assignments = np.asarray(assignments)
    return plain_floats(
        {
            "v_measure": v_measure_score(labels, assignments),
            "nmi": normalized_mutual_info_score(labels, assignments),
            "ari": adjusted_rand_score(labels, assignments),
            "cluster_accuracy": cluster_accuracy(labels, assignments),
        }
    )


def evaluate_clustering(spec: TaskSpec, data: ClusteringData, embedder: Embedder) -> SubsetScores:
    task = spec.name
    test = data.test
    require_same_length(task, "eval split", test.inputs, test.labels)
    require_rows(task, "eval split", len(test.inputs))
    labels = np.asarray(test.labels)
    embeddings = embed_checked(embedder, test.inputs, task=task, what="eval")
    assignments = kmeans_assignments(
        embeddings,
        n_clusters=len(np.unique(labels)),
        seed=spec.params["seed"],
        batch_size=spec.params["batch_size"],
    )
    scores = clustering_scores(labels, assignments)
    return {"default": with_main_score(task, scores, spec.main_score)}
