"""Retrieval metrics against pytrec_eval, the trec_eval binding mteb itself scores with.

Random runs with many exact score ties (and float32 near-ties), graded relevance, judged
non-relevant (0) documents, relevant documents never retrieved, queries with nothing
relevant, and k beyond the run's length. Every query is compared on its own and the means
as mteb stores them (5 decimals, MRR unrounded).

Tie rule, checked on exact ties rather than assumed: trec_eval orders a query's documents
by score descending, comparing scores as float32, and breaks ties by document id in
descending string order; `pytest_mieb.metrics.retrieval.trec_order` does the same, so no separate
rule for ties is needed: every metric is equal on runs with and without ties.
MRR is not a trec_eval measure (mteb computes it itself): its oracle is trec_eval's
`recip_rank`, cut at k (1 / rank of the first relevant document if that rank is <= k).
"""

from __future__ import annotations

import numpy as np
import pytest
import pytrec_eval  # the dev extra's pytrec-eval-terrier

from pytest_mieb.metrics.retrieval import retrieval_metrics, trec_order

K = (1, 2, 3, 5, 10, 50)
TREC_MEASURES = {"ndcg": "ndcg_cut", "map": "map_cut", "recall": "recall", "precision": "P"}


def random_case(
    seed: int, n_queries: int = 40, n_docs: int = 30, ties: bool = True
) -> tuple[dict, dict]:
    """(qrels, run) with ids of mixed lengths, so that string order is not numeric order."""
    rng = np.random.default_rng(seed)
    docs = [f"d{i}" for i in rng.permutation(n_docs * 3)[:n_docs]]
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for q in range(n_queries):
        qid = f"q{q}"
        judged = rng.choice(docs, size=int(rng.integers(1, 8)), replace=False)
        grades = rng.integers(0, 4, size=len(judged))
        if q % 7 == 0:
            grades[:] = 0  # judged, but nothing relevant
        qrels[qid] = {str(d): int(g) for d, g in zip(judged, grades, strict=True)}
        retrieved = rng.choice(docs, size=int(rng.integers(1, n_docs)), replace=False)
        if ties:
            scores = rng.integers(0, 4, size=len(retrieved)) / 4  # many exact ties
            scores[::5] += 1e-9  # equal to their neighbours in float32 too
        else:
            scores = rng.permutation(len(retrieved)) / len(retrieved) + 0.001
        run[qid] = {str(d): float(s) for d, s in zip(retrieved, scores, strict=True)}
    run["q-unjudged"] = {docs[0]: 1.0}  # no qrels: evaluated by neither
    return qrels, run


def oracle(qrels: dict, run: dict) -> dict[str, dict[str, float]]:
    """Per query, our metric names -> pytrec_eval's values (MRR cut from recip_rank)."""
    cuts = ",".join(str(k) for k in K)
    measures = {f"{m}.{cuts}" for m in (*TREC_MEASURES.values(), "success")} | {"recip_rank"}
    evaluated = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    out = {}
    for qid, values in evaluated.items():
        rank = round(1 / values["recip_rank"]) if values["recip_rank"] > 0 else None
        ours: dict[str, float] = {}
        for k in K:
            for name, trec in TREC_MEASURES.items():
                ours[f"{name}_at_{k}"] = values[f"{trec}_{k}"]
            ours[f"hit_rate_at_{k}"] = values[f"success_{k}"]
            ours[f"mrr_at_{k}"] = values["recip_rank"] if rank is not None and rank <= k else 0.0
        ours["accuracy"] = values["recall_1"]
        out[qid] = ours
    return out


def assert_matches_oracle(qrels: dict, run: dict) -> None:
    want = oracle(qrels, run)
    assert set(want) == {q for q in run if q in qrels}
    for qid, expected in want.items():
        got = retrieval_metrics({qid: qrels[qid]}, {qid: run[qid]}, K)
        assert set(got) == set(expected)
        for metric, value in expected.items():
            assert got[metric] == pytest.approx(value, abs=6e-6), (qid, metric)
    means = retrieval_metrics(qrels, run, K)
    for metric in means:
        values = [want[q][metric] for q in want]
        expected_mean = sum(values) / len(values)
        if not metric.startswith("mrr"):
            expected_mean = round(expected_mean, 5)
        assert means[metric] == pytest.approx(expected_mean, abs=1.1e-5), metric


@pytest.mark.parametrize("seed", range(6))
def test_random_runs_with_ties_match_pytrec_eval(seed: int) -> None:
    assert_matches_oracle(*random_case(seed))


@pytest.mark.parametrize("seed", range(3))
def test_random_runs_without_ties_match_pytrec_eval(seed: int) -> None:
    assert_matches_oracle(*random_case(100 + seed, ties=False))


def test_tie_rule_is_trec_evals() -> None:
    """All four documents tie: trec_eval ranks them d > c > b > a (ids descending), and so
    do we; 1e-12 apart is still a tie in float32, 1e-6 apart is not."""
    qrels = {"q": {"a": 2, "b": 0, "c": 1}}
    tied = {"q": {"a": 0.5, "b": 0.5, "c": 0.5, "d": 0.5}}
    assert trec_order(tied["q"]) == ["d", "c", "b", "a"]
    assert_matches_oracle(qrels, tied)
    assert trec_order({"a": 0.1 + 1e-12, "d": 0.1}) == ["d", "a"]
    assert trec_order({"a": 0.1 + 1e-6, "d": 0.1}) == ["a", "d"]
    assert_matches_oracle(qrels, {"q": {"a": 0.1 + 1e-12, "d": 0.1, "c": 0.1 - 1e-6}})
