"""Top-k search: what it refuses, in its own words, and its limits.

Written against mutants the rest of the suite let through (docs/testing.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from pytest_mieb.metrics import topk
from pytest_mieb.metrics.topk import top_k, top_k_among

Q, C = np.eye(2, 3), np.eye(3)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: top_k(np.ones(3), C, 1),
            r"queries and corpus must be 2-D, got \(3,\) and \(3, 3\)",
        ),
        (lambda: top_k(Q, np.ones((3, 4)), 1), r"query dimension 3 != corpus dimension 4"),
        (lambda: top_k(Q, C, 1, "l2"), r"similarity must be 'cosine' or 'dot', got 'l2'"),
        (lambda: top_k(Q, C, 0), r"k must be >= 1, got 0"),
        (lambda: top_k(Q, C, 1, corpus_chunk=-2), r"corpus_chunk must be >= 1, got -2"),
        (
            lambda: top_k(Q, C, 1, tie_rank=np.array([0, 2, 2])),
            r"tie_rank must be a permutation of range\(3\)",
        ),
        (lambda: top_k_among(Q, C, [[0]], 1), r"1 candidate lists for 2 queries"),
        (
            lambda: top_k_among(Q, C, [[0, 3], [-1]], 1),
            r"candidate rows must lie in \[0, 3\), got -1\.\.3",
        ),
        (lambda: top_k_among(Q, C, [[0], [1]], 1, pair_chunk=0), r"pair_chunk must be >= 1, got 0"),
    ],
)
def test_refusals_name_the_problem(call, message) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        call()


def test_tie_ranks_are_limited_to_what_fits_below_the_score_bits(monkeypatch) -> None:
    monkeypatch.setattr(topk, "_LOW_32", 3)  # stand-in for 2**32 - 1
    _, rows = top_k(Q, C, 2, "dot", tie_rank=np.array([2, 1, 0]))
    assert rows.tolist() == [[0, 2], [1, 2]]  # three documents: still allowed
    corpus = np.eye(4, 3)
    with pytest.raises(ValueError, match=r"^tie_rank supports at most 3 documents$"):
        top_k(Q, corpus, 2, "dot", tie_rank=np.array([3, 2, 1, 0]))


def test_an_empty_corpus_gives_every_query_an_empty_answer() -> None:
    scores, rows = top_k(Q, np.zeros((0, 3)), 5, "dot")
    assert scores.shape == rows.shape == (2, 0)
    assert scores.dtype == np.float32 and rows.dtype == np.int64


def test_among_candidates_row_zero_wins_a_tie_by_default() -> None:
    corpus = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    queries = np.array([[1.0, 0.0]])
    scores, rows = top_k_among(queries, corpus, [[1, 2, 0]], 3, "dot")
    assert rows.tolist() == [[0, 1, 2]]  # rows 0 and 1 tie at 1.0: the lower row first
    assert scores.tolist() == [[1.0, 1.0, 0.0]]


def test_among_candidates_without_queries_is_empty() -> None:
    scores, rows = top_k_among(np.zeros((0, 2)), np.eye(2), [], 3)
    assert scores.shape == rows.shape == (0, 0)


def test_default_device_is_cuda_when_there_is_one_else_cpu(monkeypatch) -> None:
    import torch

    assert topk._device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert topk._device(None) == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert topk._device(None) == torch.device("cuda")  # only named: nothing runs there


def test_ties_inside_a_two_place_answer_follow_tie_rank() -> None:
    corpus = np.array([[1.0, 0.0], [1.0, 0.0]])
    _, rows = top_k(np.array([[1.0, 0.0]]), corpus, 2, "dot", tie_rank=np.array([1, 0]))
    assert rows.tolist() == [[1, 0]]


def test_ties_below_the_first_place_follow_tie_rank() -> None:
    corpus = np.array([[1.0, 0.0], [0.5, 0.0], [0.5, 0.0]])
    scores, rows = top_k(np.array([[1.0, 0.0]]), corpus, 3, "dot", tie_rank=np.array([0, 2, 1]))
    assert rows.tolist() == [[0, 2, 1]]
    assert scores.tolist() == [[1.0, 0.5, 0.5]]


def test_negative_and_positive_zero_get_the_same_tie_key() -> None:
    """-0.0 and 0.0 are equal scores; their bit patterns differ, their keys must not."""
    import torch

    keys = topk._tie_keys(torch.tensor([[-0.0, 0.0]]), torch.tensor([5, 5]))
    assert keys[0, 0] == keys[0, 1]
    assert topk._scores_of_keys(keys).tolist() == [[0.0, 0.0]]
