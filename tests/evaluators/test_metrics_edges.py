"""Retrieval metrics at their edges: corpus row 0, the last query, what is refused and how.

Written against mutants the rest of the suite let through (docs/testing.md); the expected
values are worked out by hand in each test.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pytest_mieb.metrics.retrieval import (
    build_judgements,
    check_k_values,
    filter_run,
    mean_retrieval_metrics,
    per_query_retrieval_metrics,
    score_ranked_runs,
)


def test_bad_k_values_are_named_in_the_error() -> None:
    with pytest.raises(
        ValueError, match=r"^k_values must be distinct positive integers, got \(0, 1\)$"
    ):
        check_k_values([0, 1])


def test_corpus_row_zero_survives_the_exclusion_of_another_row() -> None:
    rows = np.array([[0, 3, 1], [2, 0, -1]])
    out = filter_run(rows, excluded_rows=np.array([3, -1]))
    assert out.tolist() == [[0, 1, -1], [2, 0, -1]]


def test_excluding_corpus_row_zero_removes_it() -> None:
    out = filter_run(np.array([[0, 3, 1]]), excluded_rows=np.array([0]))
    assert out.tolist() == [[3, 1, -1]]


def test_a_run_row_beyond_the_known_corpus_is_refused() -> None:
    judged = build_judgements([{"a": 1}], {"a": 0, "b": 1}, (1,))
    per_query_retrieval_metrics(np.array([[1]]), judged)  # the last known row is fine
    with pytest.raises(ValueError, match="run has corpus row 2, judgements know 2 rows"):
        per_query_retrieval_metrics(np.array([[2]]), judged)


def test_with_an_empty_corpus_only_row_zero_is_known() -> None:
    judged = build_judgements([{"a": 1}], {}, (1,))
    per_query_retrieval_metrics(np.array([[0]]), judged)
    with pytest.raises(ValueError, match="run has corpus row 1, judgements know 1 rows"):
        per_query_retrieval_metrics(np.array([[1]]), judged)


def test_a_block_reaching_past_the_last_query_is_refused() -> None:
    judged = build_judgements([{"a": 1}, {"a": 1}], {"a": 0}, (1,))
    last = per_query_retrieval_metrics(np.array([[0]]), judged, first_query=1)
    assert last["accuracy"].tolist() == [1.0]
    with pytest.raises(ValueError, match="run rows reach query 2, judgements have 2"):
        per_query_retrieval_metrics(np.array([[0]]), judged, first_query=2)


def test_the_other_refusals_say_exactly_what_is_wrong() -> None:
    with pytest.raises(
        ValueError, match=r"^per-query metrics must be non-empty and of equal length$"
    ):
        mean_retrieval_metrics({"ndcg_at_1": np.ones(2), "map_at_1": np.ones(3)}, (1,))
    judged = build_judgements([{"a": 1}, {"a": 1}], {"a": 0}, (1,))
    with pytest.raises(
        ValueError, match=r"^need one run row per judged query \(2\), got \(1, 1\)$"
    ):
        score_ranked_runs(np.zeros((1, 1), dtype=np.int64), judged)
    with pytest.raises(ValueError, match=r"^no queries to evaluate$"):
        score_ranked_runs(np.zeros((0, 1), dtype=np.int64), build_judgements([], {}, (1,)))


def test_queries_with_nothing_relevant_score_zero_without_numpy_warnings() -> None:
    judged = build_judgements([{"a": 0, "b": 0}, {"a": 2}], {"a": 0, "b": 1}, (1, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a 0/0 inside the metrics would raise here
        got = per_query_retrieval_metrics(np.array([[0, 1], [1, 0]]), judged)
    assert got["ndcg_at_2"].tolist() == pytest.approx([0.0, (2 / np.log2(3)) / 2])
    assert got["map_at_2"].tolist() == [0.0, 0.5]
    assert got["recall_at_1"].tolist() == [0.0, 0.0]
