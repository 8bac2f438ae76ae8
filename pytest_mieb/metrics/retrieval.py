"""Retrieval metrics as pure functions of rankings and relevance judgements (numpy only).

They follow trec_eval 9.0.8 as pytrec_eval runs it for mteb, with mteb's own MRR; see the
"Retrieval" section below. The k values are the caller's (a task's `params.k_values`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# --------------------------------------------------------------------------------------
# Retrieval
#
# Semantics (docs/mieb-protocols.md 3.6), per evaluated query:
# * ranking: score descending, ties by document id in descending string order (trec_eval
#   sorts by score stored as float32, then strcmp on ids, reversed);
# * a document is relevant when its qrels value is >= 1; judged 0 is not relevant; R is the
#   number of relevant documents in the qrels, retrieved or not;
# * P@k = hits in top k / k (k fixed), recall@k = hits / R, hit_rate@k = any hit in top k,
#   map@k = sum of P@rank over relevant ranks <= k / R, ndcg@k = DCG@k / IDCG@k with gain =
#   the qrels value and discount log2(rank + 1), IDCG from the query's judged gains,
#   mrr@k = 1 / rank of the first relevant document within k, accuracy = recall@1.
# Means are taken over evaluated queries in query order with Python's sum; all but MRR are
# rounded to 5 decimals, as mteb stores them. mteb's `nauc_*` keys are not computed.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Judgements:
    """The qrels of the evaluated queries, laid out for vectorised scoring.

    `keys` are `query_position * n_docs + corpus_row` (sorted) for judged documents that
    exist in the corpus, `relevance` their qrels values. `n_relevant` and `ideal_dcg`
    (one column per k) count every judged document, including ones absent from the corpus.
    """

    n_docs: int
    k_values: tuple[int, ...]
    keys: np.ndarray
    relevance: np.ndarray
    n_relevant: np.ndarray
    ideal_dcg: np.ndarray

    @property
    def n_queries(self) -> int:
        return int(self.n_relevant.shape[0])


def check_k_values(k_values: Iterable[int]) -> tuple[int, ...]:
    ks = tuple(int(k) for k in k_values)
    if not ks or min(ks) < 1 or len(set(ks)) != len(ks):
        raise ValueError(f"k_values must be distinct positive integers, got {ks}")
    return ks


def trec_order(doc_scores: Mapping[str, float]) -> list[str]:
    """Document ids of one query's run, best first, as trec_eval ranks them."""
    return [
        doc
        for doc, _ in sorted(
            doc_scores.items(), key=lambda item: (np.float32(item[1]), item[0]), reverse=True
        )
    ]


def build_judgements(
    qrels: Sequence[Mapping[str, int]],
    doc_rows: Mapping[str, int],
    k_values: Iterable[int],
) -> Judgements:
    """Lay out `qrels[i]` (doc id -> relevance of query i) against corpus rows `doc_rows`."""
    ks = check_k_values(k_values)
    n_docs = max(doc_rows.values(), default=0) + 1
    max_k = max(ks)
    log_ranks = np.log2(np.arange(2, max_k + 2, dtype=np.float64))
    cut_at = np.asarray(ks, dtype=np.int64)
    keys: list[int] = []
    relevance: list[int] = []
    n_relevant = np.zeros(len(qrels), dtype=np.int64)
    ideal_dcg = np.zeros((len(qrels), len(ks)), dtype=np.float64)
    for i, judged in enumerate(qrels):
        gains = []
        for doc, value in judged.items():
            value = int(value)
            row = doc_rows.get(doc)
            if row is not None:
                keys.append(i * n_docs + row)
                relevance.append(value)
            if value > 0:
                gains.append(value)
        n_relevant[i] = len(gains)
        if gains:
            gains.sort(reverse=True)
            top = np.asarray(gains[:max_k], dtype=np.float64)
            cumulative = np.cumsum(top / log_ranks[: top.size])
            ideal_dcg[i] = cumulative[np.minimum(cut_at, top.size) - 1]
    key_array = np.asarray(keys, dtype=np.int64)
    order = np.argsort(key_array, kind="stable")
    return Judgements(
        n_docs=n_docs,
        k_values=ks,
        keys=key_array[order],
        relevance=np.asarray(relevance, dtype=np.int64)[order],
        n_relevant=n_relevant,
        ideal_dcg=ideal_dcg,
    )


def filter_run(
    ranked_rows: np.ndarray,
    *,
    skip_first_result: bool = False,
    excluded_rows: np.ndarray | None = None,
) -> np.ndarray:
    """Drop documents from ranked runs (rows in rank order, -1 = empty slot).

    `excluded_rows[i]` (a corpus row, or -1 for none) is removed from query i's run first
    (mteb's ignore_identical_ids); then `skip_first_result` drops each query's top document.
    """
    rows = np.asarray(ranked_rows, dtype=np.int64)
    if excluded_rows is not None:
        excluded = np.asarray(excluded_rows, dtype=np.int64)[:, None]
        drop = (rows < 0) | ((rows == excluded) & (excluded >= 0))
        if drop.any():
            order = np.argsort(drop, axis=1, kind="stable")
            rows = np.where(
                np.take_along_axis(drop, order, axis=1),
                -1,
                np.take_along_axis(rows, order, axis=1),
            )
    if skip_first_result:
        rows = rows[:, 1:]
    return rows


def per_query_retrieval_metrics(
    ranked_rows: np.ndarray, judged: Judgements, first_query: int = 0
) -> dict[str, np.ndarray]:
    """Every retrieval metric for each query of a block of ranked runs.

    Row i of `ranked_rows` is query `first_query + i` of `judged`: its retrieved corpus
    rows in rank order, -1 for empty slots (only after the real ones).
    """
    rows = np.asarray(ranked_rows, dtype=np.int64)
    n, width = rows.shape
    queries = np.arange(first_query, first_query + n, dtype=np.int64)
    if queries.size and queries[-1] >= judged.n_queries:
        raise ValueError(f"run rows reach query {queries[-1]}, judgements have {judged.n_queries}")
    if rows.size and rows.max() >= judged.n_docs:
        raise ValueError(f"run has corpus row {rows.max()}, judgements know {judged.n_docs} rows")
    values = _relevance_of(rows, queries, judged)
    relevant = values >= 1
    gains = np.where(values > 0, values, 0).astype(np.float64)
    ranks = np.arange(1, width + 1, dtype=np.float64)
    hits = np.cumsum(relevant, axis=1)
    dcg = np.cumsum(gains / np.log2(ranks + 1.0), axis=1)
    precision_sum = np.cumsum(np.where(relevant, hits / ranks, 0.0), axis=1)
    any_hit = relevant.any(axis=1)
    first_hit = np.full(n, np.iinfo(np.int64).max)
    if any_hit.any():
        first_hit[any_hit] = np.argmax(relevant[any_hit], axis=1) + 1
    n_rel = judged.n_relevant[queries].astype(np.float64)
    has_rel = n_rel > 0
    safe_rel = np.where(has_rel, n_rel, 1.0)

    def at(cumulative: np.ndarray, k: int) -> np.ndarray:
        cut = min(k, width)
        return cumulative[:, cut - 1].astype(np.float64) if cut else np.zeros(n)

    out: dict[str, np.ndarray] = {}
    for j, k in enumerate(judged.k_values):
        hits_k = at(hits, k)
        ideal = judged.ideal_dcg[queries, j]
        out[f"ndcg_at_{k}"] = np.where(ideal > 0, at(dcg, k) / np.where(ideal > 0, ideal, 1), 0.0)
        out[f"map_at_{k}"] = np.where(has_rel, at(precision_sum, k) / safe_rel, 0.0)
        out[f"recall_at_{k}"] = np.where(has_rel, hits_k / safe_rel, 0.0)
        out[f"precision_at_{k}"] = hits_k / k
        out[f"mrr_at_{k}"] = np.where(first_hit <= k, 1.0 / np.minimum(first_hit, k), 0.0)
        out[f"hit_rate_at_{k}"] = (hits_k > 0).astype(np.float64)
    out["accuracy"] = np.where(has_rel, at(hits, 1) / safe_rel, 0.0)
    return out


def mean_retrieval_metrics(
    per_query: Mapping[str, np.ndarray], k_values: Iterable[int]
) -> dict[str, float]:
    """Average per-query metrics the way mteb stores them, in mteb's key order."""
    ks = check_k_values(k_values)
    sizes = {len(v) for v in per_query.values()}
    if len(sizes) != 1 or 0 in sizes:
        raise ValueError("per-query metrics must be non-empty and of equal length")

    def mean(key: str) -> float:
        values = per_query[key].tolist()
        return sum(values) / len(values)

    def rounded(key: str) -> float:
        return round(mean(key), 5)

    out: dict[str, float] = {}
    for family in ("ndcg", "map", "recall"):
        out.update({f"{family}_at_{k}": rounded(f"{family}_at_{k}") for k in ks})
    out["accuracy"] = rounded("accuracy")
    out.update({f"precision_at_{k}": rounded(f"precision_at_{k}") for k in ks})
    out.update({f"mrr_at_{k}": mean(f"mrr_at_{k}") for k in ks})
    out.update({f"hit_rate_at_{k}": rounded(f"hit_rate_at_{k}") for k in ks})
    return out


def score_ranked_runs(
    ranked_rows: np.ndarray, judged: Judgements, *, block_rows: int = 2048
) -> dict[str, float]:
    """Mean retrieval metrics of ranked runs (one row per judged query), block by block."""
    per_query = score_ranked_runs_per_query(ranked_rows, judged, block_rows=block_rows)
    return mean_retrieval_metrics(per_query, judged.k_values)


def score_ranked_runs_per_query(
    ranked_rows: np.ndarray, judged: Judgements, *, block_rows: int = 2048
) -> dict[str, np.ndarray]:
    """Every metric's per-query values for ranked runs (one row per judged query)."""
    rows = np.asarray(ranked_rows)
    if rows.ndim != 2 or rows.shape[0] != judged.n_queries:
        raise ValueError(
            f"need one run row per judged query ({judged.n_queries}), got {rows.shape}"
        )
    if judged.n_queries == 0:
        raise ValueError("no queries to evaluate")
    parts = [
        per_query_retrieval_metrics(rows[start : start + block_rows], judged, first_query=start)
        for start in range(0, rows.shape[0], block_rows)
    ]
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def retrieval_metrics(
    qrels: Mapping[str, Mapping[str, int]],
    run: Mapping[str, Mapping[str, float]],
    k_values: Iterable[int],
    *,
    skip_first_result: bool = False,
    ignore_identical_ids: bool = False,
) -> dict[str, float]:
    """Metrics of a run `{query_id: {doc_id: score}}` against `{query_id: {doc_id: rel}}`.

    Evaluates the run's queries that have a non-empty qrels entry (like pytrec_eval, which
    skips queries without judgements), in run order. `ignore_identical_ids` removes a
    document whose id equals the query id; then `skip_first_result` drops each query's
    first document in the trec order above (mteb drops the first by score alone, leaving
    exact ties to dict order).
    """
    ks = check_k_values(k_values)
    query_ids = [qid for qid in run if qrels.get(qid)]
    doc_rows: dict[str, int] = {}
    rankings = []
    for qid in query_ids:
        ranking = trec_order(run[qid])
        if ignore_identical_ids:
            ranking = [doc for doc in ranking if doc != qid]
        if skip_first_result:
            ranking = ranking[1:]
        rankings.append([doc_rows.setdefault(doc, len(doc_rows)) for doc in ranking])
    width = max((len(r) for r in rankings), default=0)
    rows = np.full((len(query_ids), width), -1, dtype=np.int64)
    for i, ranking in enumerate(rankings):
        rows[i, : len(ranking)] = ranking
    judged = build_judgements([qrels[qid] for qid in query_ids], doc_rows, ks)
    return score_ranked_runs(rows, judged)


def _relevance_of(rows: np.ndarray, queries: np.ndarray, judged: Judgements) -> np.ndarray:
    """The qrels value of each retrieved document (0 when unjudged or an empty slot)."""
    if judged.keys.size == 0 or rows.size == 0:
        return np.zeros(rows.shape, dtype=np.int64)
    present = rows >= 0
    keys = queries[:, None] * judged.n_docs + np.where(present, rows, 0)
    pos = np.minimum(np.searchsorted(judged.keys, keys), judged.keys.size - 1)
    found = present & (judged.keys[pos] == keys)
    return np.where(found, judged.relevance[pos], 0)
