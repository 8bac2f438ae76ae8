"""Visual STS evaluator (rendered sentence pairs) and the aggregate STS tasks.

Protocol: mieb-protocols.md 3.11 and 4.2. Both images of every pair are embedded; gold
scores are correlated (Pearson, Spearman) with four pair similarities: cosine, negative
Manhattan, negative Euclidean distance and the model's own similarity.

Task params read (types and defaults: `pytest_mieb.tasks.protocols`):

* ``gold_score_range`` -- gold normalised as (score - low) / (high - low)
  (rank correlations do not change; Pearson does not either, being affine invariant).
* aggregates: ``subtasks[0].hf_subsets_used`` -- exactly the subsets averaged (absent: every
  subset in the data); ``subtasks[0].gold_score_range`` (absent: the visual_sts default)
  and ``subtasks[0].main_score`` [cosine_spearman] for the sub-task.

`evaluate_visual_sts` gives the per-subset scores (a plain task's result, or an aggregate's
sub-task result); `combine_visual_sts` turns those into the aggregate's single score.

No per-item values are reported (see `collect_per_item`): correlations are not means over
pairs, so a per-pair vector whose mean is the metric does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pytest_mieb.data.containers import STSData, STSPairs
from pytest_mieb.evaluators._common import (
    embed_checked,
    require_rows,
    unit_float32,
    with_main_score,
)
from pytest_mieb.evaluators.base import Embedder, SubsetScores
from pytest_mieb.tasks.protocols import PROTOCOLS
from pytest_mieb.tasks.spec import TaskSpec

#: Imported where they are used, not with this module, so that a session can import them
#: while its first images are encoded (`pytest_mieb.spare_time`); listed here for that.
LIBRARIES = ("scipy.stats", "sklearn.metrics.pairwise")

AGGREGATE = "aggregate_of_visual_sts"
#: A sub-task is a visual STS task: its gold range defaults as theirs does.
SUBTASK_GOLD_RANGE = PROTOCOLS["visual_sts"].params["gold_score_range"].default
SUBTASK_MAIN_SCORE = "cosine_spearman"


def normalise_gold(scores: Sequence[float], low: float, high: float) -> np.ndarray:
    if high <= low:
        raise ValueError(f"gold score range [{low}, {high}] is empty")
    return (np.asarray(scores, dtype=np.float64) - low) / (high - low)


def pair_similarities(
    emb1: np.ndarray, emb2: np.ndarray, similarity: str = "cosine"
) -> dict[str, np.ndarray]:
    """Similarity of each pair (row i of both sides), bigger = more alike.

    Computed in the embeddings' float32, as mteb does, then widened to float64.
    """
    from sklearn.metrics.pairwise import (
        paired_cosine_distances,
        paired_euclidean_distances,
        paired_manhattan_distances,
    )

    emb1 = np.asarray(emb1, dtype=np.float32)
    emb2 = np.asarray(emb2, dtype=np.float32)
    if similarity == "cosine":
        model = np.sum(unit_float32(emb1) * unit_float32(emb2), axis=1)
    elif similarity == "dot":
        model = np.sum(emb1 * emb2, axis=1)
    else:
        raise ValueError(
            f"unsupported model similarity {similarity!r} (expected 'cosine' or 'dot')"
        )
    sims = {
        "cosine": 1 - paired_cosine_distances(emb1, emb2),
        "manhattan": -paired_manhattan_distances(emb1, emb2),
        "euclidean": -paired_euclidean_distances(emb1, emb2),
        "model": model,
    }
    return {name: np.asarray(values, dtype=np.float64) for name, values in sims.items()}


def sts_scores(
    gold: Sequence[float], emb1: np.ndarray, emb2: np.ndarray, similarity: str = "cosine"
) -> dict[str, float]:
    """All eight correlations, in mteb's key order; `pearson`/`spearman` use the model's own
    similarity. A constant side gives NaN (scipy's answer), never a made-up number."""
    from scipy.stats import pearsonr, spearmanr

    gold = np.asarray(gold, dtype=np.float64)
    sims = pair_similarities(emb1, emb2, similarity)
    prefixes = {
        "model": "",
        "cosine": "cosine_",
        "manhattan": "manhattan_",
        "euclidean": "euclidean_",
    }
    scores: dict[str, float] = {}
    for name, prefix in prefixes.items():
        scores[f"{prefix}pearson"] = float(pearsonr(gold, sims[name])[0])
        scores[f"{prefix}spearman"] = float(spearmanr(gold, sims[name])[0])
    return scores


def _subtask(spec: TaskSpec) -> Mapping[str, Any]:
    """An aggregate's sub-task table; {} for a plain task or an aggregate naming none."""
    subtasks = spec.params.get("subtasks") if spec.protocol == AGGREGATE else None
    return subtasks[0] if subtasks else {}


def _gold_range(spec: TaskSpec) -> tuple[float, float]:
    if spec.protocol == AGGREGATE:
        low, high = _subtask(spec).get("gold_score_range", SUBTASK_GOLD_RANGE)
    else:
        low, high = spec.params["gold_score_range"]
    return float(low), float(high)


def _score_pairs(
    spec: TaskSpec, subset: str, pairs: STSPairs, embedder: Embedder, main_score: str
) -> dict[str, float]:
    task = f"{spec.name}[{subset}]"
    n = len(pairs.scores)
    require_rows(task, "pair list", n)
    for side in (pairs.first, pairs.second):
        if len(side) != n:
            raise ValueError(f"{task}: {side.key!r} has {len(side)} rows for {n} gold scores")
    emb1 = embed_checked(embedder, pairs.first, task=task, what="first image", subset=subset)
    emb2 = embed_checked(
        embedder, pairs.second, task=task, what="second image", dim=emb1.shape[1], subset=subset
    )
    gold = normalise_gold(pairs.scores, *_gold_range(spec))
    return with_main_score(task, sts_scores(gold, emb1, emb2, embedder.similarity), main_score)


def evaluate_visual_sts(spec: TaskSpec, data: STSData, embedder: Embedder) -> SubsetScores:
    """Scores of every subset in `data` ("default" for the single-subset tasks)."""
    if not data.subsets:
        raise ValueError(f"{spec.name}: no STS subsets to evaluate")
    main = (
        spec.main_score
        if not _subtask(spec)
        else _subtask(spec).get("main_score", SUBTASK_MAIN_SCORE)
    )
    return {
        subset: _score_pairs(spec, subset, pairs, embedder, main)
        for subset, pairs in data.subsets.items()
    }


def combine_visual_sts(
    per_subset: Mapping[str, Mapping[str, float]], subsets: Sequence[str]
) -> SubsetScores:
    """The aggregate: unweighted mean of the listed subsets' main scores (no others)."""
    if not subsets:
        raise ValueError("an aggregate needs at least one subset")
    missing = [s for s in subsets if s not in per_subset]
    if missing:
        raise ValueError(f"aggregate subsets {missing} have no scores")
    mean = float(np.mean([per_subset[s]["main_score"] for s in subsets]))
    return {"default": {"cosine_spearman": mean, "main_score": mean}}


def aggregate_subsets(spec: TaskSpec, data: STSData) -> list[str]:
    """The subsets an aggregate averages: the sub-task's used list, else all in the data."""
    used = _subtask(spec).get("hf_subsets_used")
    return list(used) if used else list(data.subsets)


def evaluate_visual_sts_aggregate(
    spec: TaskSpec, data: STSData, embedder: Embedder
) -> SubsetScores:
    subsets = aggregate_subsets(spec, data)
    missing = [s for s in subsets if s not in data.subsets]
    if missing:
        raise ValueError(f"{spec.name}: STS data lacks the aggregated subsets {missing}")
    used = STSData(subsets={s: data.subsets[s] for s in subsets})
    return combine_visual_sts(evaluate_visual_sts(spec, used, embedder), subsets)
