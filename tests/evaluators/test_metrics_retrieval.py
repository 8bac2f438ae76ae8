"""Retrieval metrics against hand-worked cases and a brute-force re-implementation."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from pytest_mieb.metrics import retrieval as retrieval_module
from pytest_mieb.metrics.retrieval import (
    build_judgements,
    check_k_values,
    filter_run,
    mean_retrieval_metrics,
    per_query_retrieval_metrics,
    retrieval_metrics,
    score_ranked_runs,
    trec_order,
)

K = (1, 3, 5, 10)

# One query, graded judgements: x a c b y retrieved in that order; z relevant but never
# retrieved; c judged 0 (not relevant). Relevant: a (gain 2), b (1), z (1), so R = 3.
QRELS = {"q": {"a": 2, "b": 1, "c": 0, "z": 1}}
RUN = {"q": {"x": 0.9, "a": 0.8, "c": 0.7, "b": 0.6, "y": 0.5}}


def test_hand_worked_graded_query():
    got = retrieval_metrics(QRELS, RUN, K)
    idcg = 2 + 1 / math.log2(3) + 1 / math.log2(4)  # ideal order a, b, z
    expected = {
        "ndcg_at_1": 0.0,
        "ndcg_at_3": (2 / math.log2(3)) / idcg,
        "ndcg_at_5": (2 / math.log2(3) + 1 / math.log2(5)) / idcg,
        "ndcg_at_10": (2 / math.log2(3) + 1 / math.log2(5)) / idcg,
        "map_at_1": 0.0,
        "map_at_3": (1 / 2) / 3,
        "map_at_5": (1 / 2 + 2 / 4) / 3,  # denominator R = 3, not min(R, k)
        "map_at_10": (1 / 2 + 2 / 4) / 3,
        "recall_at_1": 0.0,
        "recall_at_3": 1 / 3,
        "recall_at_5": 2 / 3,
        "recall_at_10": 2 / 3,
        "accuracy": 0.0,
        "precision_at_1": 0.0,
        "precision_at_3": 1 / 3,
        "precision_at_5": 2 / 5,
        "precision_at_10": 2 / 10,  # k stays 10 though only 5 were retrieved
        "mrr_at_1": 0.0,
        "mrr_at_3": 0.5,
        "mrr_at_5": 0.5,
        "mrr_at_10": 0.5,
        "hit_rate_at_1": 0.0,
        "hit_rate_at_3": 1.0,
        "hit_rate_at_5": 1.0,
        "hit_rate_at_10": 1.0,
    }
    assert got == {key: round(value, 5) for key, value in expected.items()}


def test_keys_in_mteb_order():
    got = retrieval_metrics(QRELS, RUN, (1, 10))
    assert list(got) == [
        "ndcg_at_1", "ndcg_at_10", "map_at_1", "map_at_10", "recall_at_1", "recall_at_10",
        "accuracy", "precision_at_1", "precision_at_10", "mrr_at_1", "mrr_at_10",
        "hit_rate_at_1", "hit_rate_at_10",
    ]  # fmt: skip


def test_ties_are_broken_by_descending_document_id():
    qrels = {"q": {"a": 1}}
    run = {"q": {"a": 0.5, "b": 0.5, "c": 0.5}}  # trec order: c, b, a
    assert trec_order(run["q"]) == ["c", "b", "a"]
    got = retrieval_metrics(qrels, run, (1, 3))
    assert got["mrr_at_3"] == pytest.approx(1 / 3)
    assert got["hit_rate_at_1"] == 0.0
    assert got["ndcg_at_3"] == round(1 / math.log2(4), 5)
    # String order, not numeric: "9" > "10".
    assert trec_order({"10": 1.0, "9": 1.0}) == ["9", "10"]


def test_scores_are_compared_in_float32_like_trec_eval():
    # Distinct doubles that round to the same float32 tie, so the larger id ("b") leads.
    run = {"q": {"a": 0.1 + 1e-12, "b": 0.1}}
    assert trec_order(run["q"]) == ["b", "a"]
    assert retrieval_metrics({"q": {"a": 1}}, run, (1,))["recall_at_1"] == 0.0


def test_means_rounded_to_five_decimals_except_mrr():
    qrels = {"q1": {"a": 1}, "q2": {"a": 1}}
    run = {"q1": {"a": 0.9, "b": 0.1}, "q2": {"c": 0.9, "d": 0.8, "a": 0.7}}
    got = retrieval_metrics(qrels, run, (3,))
    assert got["mrr_at_3"] == (1 + 1 / 3) / 2  # 0.6666666666666666, not rounded
    assert got["precision_at_3"] == 0.33333  # (1/3 + 1/3) / 2 rounded
    assert got["ndcg_at_3"] == round((1 + 1 / math.log2(4)) / 2, 5)


def test_queries_without_judgements_are_not_evaluated():
    qrels = {"q1": {"a": 1}, "q2": {}}
    run = {"q1": {"a": 1.0}, "q2": {"a": 1.0}, "q3": {"a": 1.0}}
    assert retrieval_metrics(qrels, run, (1,))["accuracy"] == 1.0


def test_query_with_only_zero_judgements_scores_zero_and_counts():
    qrels = {"q1": {"a": 1}, "q2": {"a": 0}}
    run = {"q1": {"a": 1.0}, "q2": {"a": 1.0}}
    got = retrieval_metrics(qrels, run, (1,))
    assert got["ndcg_at_1"] == got["recall_at_1"] == got["map_at_1"] == 0.5
    assert got["mrr_at_1"] == got["hit_rate_at_1"] == 0.5


def test_empty_run_scores_zero():
    got = retrieval_metrics({"q1": {"a": 1}, "q2": {"a": 1}}, {"q1": {}, "q2": {"a": 0.3}}, (5,))
    assert got["recall_at_5"] == 0.5 and got["ndcg_at_5"] == 0.5


def test_all_runs_empty_scores_zero():
    got = retrieval_metrics({"q1": {"a": 1}, "q2": {"b": 2}}, {"q1": {}, "q2": {}}, (1, 5))
    assert set(got.values()) == {0.0}


def test_no_evaluable_query_is_an_error():
    with pytest.raises(ValueError, match="no queries"):
        retrieval_metrics({"q": {}}, {"q": {"a": 1.0}}, (1,))


def test_skip_first_result_drops_the_top_document():
    qrels = {"q": {"b": 1}}
    run = {"q": {"q": 1.0, "b": 0.8, "a": 0.5}}
    assert retrieval_metrics(qrels, run, (1,))["accuracy"] == 0.0
    assert retrieval_metrics(qrels, run, (1,), skip_first_result=True)["accuracy"] == 1.0


def test_skip_first_result_among_tied_top_scores_drops_the_larger_id():
    run = {"q": {"a": 1.0, "b": 1.0, "c": 0.2}}
    assert retrieval_metrics({"q": {"a": 1}}, run, (1,), skip_first_result=True)["accuracy"] == 1
    assert retrieval_metrics({"q": {"b": 1}}, run, (1,), skip_first_result=True)["accuracy"] == 0


def test_ignore_identical_ids_removes_the_query_id_then_skip_first_applies():
    qrels = {"q": {"b": 1}}
    run = {"q": {"q": 1.0, "a": 0.9, "b": 0.8}}
    assert retrieval_metrics(qrels, run, (1,), ignore_identical_ids=True)["accuracy"] == 0.0
    both = retrieval_metrics(qrels, run, (1,), ignore_identical_ids=True, skip_first_result=True)
    assert both["accuracy"] == 1.0


def test_filter_run_compacts_and_pads():
    rows = np.array([[4, 7, 2, -1], [1, 2, 3, 4]])
    out = filter_run(rows, excluded_rows=np.array([7, -1]))
    assert out.tolist() == [[4, 2, -1, -1], [1, 2, 3, 4]]
    assert filter_run(rows, skip_first_result=True, excluded_rows=np.array([4, 3])).tolist() == [
        [2, -1, -1],
        [2, 4, -1],
    ]


def test_block_size_does_not_change_results():
    rng = np.random.default_rng(3)
    rows = np.stack([rng.permutation(40)[:15] for _ in range(23)])
    qrels = [{str(d): int(rng.integers(0, 3)) for d in rng.choice(40, 5)} for _ in range(23)]
    judged = build_judgements(qrels, {str(i): i for i in range(40)}, K)
    assert score_ranked_runs(rows, judged, block_rows=1) == score_ranked_runs(rows, judged)


def test_per_query_values_match_hand_computation():
    judged = build_judgements([{"a": 1, "b": 3}], {"a": 0, "b": 1, "c": 2}, (2,))
    per_query = per_query_retrieval_metrics(np.array([[2, 0, 1]]), judged)
    dcg = 1 / math.log2(3)
    idcg = 3 + 1 / math.log2(3)
    assert per_query["ndcg_at_2"][0] == pytest.approx(dcg / idcg)
    assert per_query["map_at_2"][0] == pytest.approx(0.5 / 2)
    assert per_query["mrr_at_2"][0] == 0.5


def test_mean_requires_equal_nonempty_columns():
    with pytest.raises(ValueError):
        mean_retrieval_metrics({"ndcg_at_1": np.array([])}, (1,))


def test_check_k_values():
    assert check_k_values([10, 1]) == (10, 1)
    for bad in ([], [0, 1], [3, 3]):
        with pytest.raises(ValueError):
            check_k_values(bad)


def _brute_force(qrels, run, ks):
    """Straight per-query loops over the ranking, written from the metric definitions."""
    sums: dict[str, list[float]] = {}

    def add(key, value):
        sums.setdefault(key, []).append(value)

    for qid, docs in run.items():
        judged = qrels.get(qid)
        if not judged:
            continue
        ranking = sorted(docs, key=lambda d: (np.float32(docs[d]), d), reverse=True)
        relevant = {d for d, v in judged.items() if v >= 1}
        ideal = sorted((v for v in judged.values() if v > 0), reverse=True)
        for k in ks:
            top = ranking[:k]
            hits = [d in relevant for d in top]
            dcg = sum(max(judged.get(d, 0), 0) / math.log2(r + 2) for r, d in enumerate(top))
            idcg = sum(g / math.log2(r + 2) for r, g in enumerate(ideal[:k]))
            ap = sum(sum(hits[: r + 1]) / (r + 1) for r in range(len(top)) if hits[r])
            first = next((r + 1 for r, h in enumerate(hits) if h), None)
            add(f"ndcg_at_{k}", dcg / idcg if idcg else 0.0)
            add(f"map_at_{k}", ap / len(relevant) if relevant else 0.0)
            add(f"recall_at_{k}", sum(hits) / len(relevant) if relevant else 0.0)
            add(f"precision_at_{k}", sum(hits) / k)
            add(f"mrr_at_{k}", 1 / first if first else 0.0)
            add(f"hit_rate_at_{k}", float(any(hits)))
    return {key: sum(values) / len(values) for key, values in sums.items()}


@pytest.mark.parametrize("seed", range(12))
def test_matches_brute_force_on_random_runs_with_ties(seed):
    rnd = random.Random(seed)
    docs = [f"{rnd.choice('abAB')}{i}" for i in range(rnd.choice([6, 40, 300]))]
    tie_levels = [0.25, 0.5, 0.75]
    qrels, run = {}, {}
    for qi in range(rnd.randint(1, 15)):
        qid = f"q{qi}"
        qrels[qid] = {d: rnd.choice([0, 1, 1, 2, 3]) for d in rnd.sample(docs, rnd.randint(1, 6))}
        if rnd.random() < 0.3:
            qrels[qid]["unretrievable"] = 2
        retrieved = rnd.sample(docs, rnd.randint(0, len(docs)))
        run[qid] = {d: rnd.choice(tie_levels) if seed % 2 else rnd.random() for d in retrieved}
    ks = (1, 2, 5, 10, 1000)
    got = retrieval_metrics(qrels, run, ks)
    expected = _brute_force(qrels, run, ks)
    for key, value in expected.items():
        want = value if key.startswith("mrr") else round(value, 5)
        assert got[key] == pytest.approx(want, abs=1e-12), key
    assert got["accuracy"] == got["recall_at_1"]


def test_filter_run_keeps_rank_order_of_long_runs():
    # Beyond 16 slots numpy's default (quick) sort reorders equal keys; the kept documents
    # must stay in rank order, as a plain list filter keeps them.
    rng = np.random.default_rng(7)
    rows = np.stack([rng.permutation(100)[:40] for _ in range(6)])
    rows[1, 30:] = -1
    excluded = np.array([rows[0, 3], -1, rows[2, 17], 999, rows[4, 0], rows[5, 39]])
    expected = []
    for run, ex in zip(rows.tolist(), excluded.tolist(), strict=True):
        kept = [r for r in run if r >= 0 and r != ex]
        expected.append(kept + [-1] * (len(run) - len(kept)))
    assert filter_run(rows, excluded_rows=excluded).tolist() == expected
    assert filter_run(rows, skip_first_result=True, excluded_rows=excluded).tolist() == [
        e[1:] for e in expected
    ]


@pytest.mark.parametrize("excluded", [None, np.array([5, -1], dtype=np.int32)])
def test_filter_run_returns_int64_rows(excluded):
    # top-k backends may hand back int32 indices; the filtered run is always int64 rows
    rows = np.array([[5, 1, 2], [3, 4, -1]], dtype=np.int32)
    out = filter_run(rows, excluded_rows=excluded)
    assert out.dtype == np.int64
    assert out.tolist() == ([[1, 2, -1], [3, 4, -1]] if excluded is not None else rows.tolist())


def test_score_ranked_runs_scores_in_blocks_of_the_callers_size(monkeypatch):
    seen = []
    real = retrieval_module.per_query_retrieval_metrics

    def spy(rows, judged, first_query=0):
        seen.append((first_query, rows.shape[0]))
        return real(rows, judged, first_query=first_query)

    monkeypatch.setattr(retrieval_module, "per_query_retrieval_metrics", spy)
    judged = build_judgements([{"a": 1}] * 5, {"a": 0, "b": 1}, (1,))
    rows = np.array([[0, 1], [1, 0], [0, 1], [1, 0], [0, -1]])
    assert score_ranked_runs(rows, judged, block_rows=2)["recall_at_1"] == 0.6
    assert seen == [(0, 2), (2, 2), (4, 1)]


def test_keys_beyond_32_bit_integers_find_their_judgements():
    # query 2 * n_docs + row exceeds 2**31 (n_docs itself fits): keys must not wrap on platforms
    # whose default integer is 32-bit
    big = 2**30
    judged = build_judgements([{"z": 1}, {"a": 2}, {"z": 3}], {"a": 0, "z": big}, (1,))
    rows = np.array([[big], [0], [big]])
    per_query = per_query_retrieval_metrics(rows, judged)
    assert per_query["ndcg_at_1"].tolist() == [1.0, 1.0, 1.0]
    assert per_query["precision_at_1"].tolist() == [1.0, 1.0, 1.0]
