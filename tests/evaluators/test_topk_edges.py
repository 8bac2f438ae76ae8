"""Top-k search: what it refuses, in its own words, and its limits.

Written against mutants the rest of the suite let through (docs/testing.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from search_oracle import brute_force_top_k

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
        (lambda: top_k_among(Q, C, [[0], [1]], 0), r"k must be >= 1, got 0"),
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


def test_among_candidates_answers_float32_scores_and_int64_rows() -> None:
    scores, rows = top_k_among(Q, C, [[0, 2], [1]], 2, "dot")
    assert scores.dtype == np.float32 and rows.dtype == np.int64
    assert rows.tolist() == [[0, 2], [1, -1]]  # the shorter list padded with row -1


@contextlib.contextmanager
def _default_dtype(dtype: torch.dtype) -> Iterator[None]:
    """Torch's default dtype as a user's own program may have left it."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


@pytest.mark.parametrize("defaults", ["float32 dtype", "float64 dtype", "meta device"])
def test_search_works_on_its_own_device_and_dtypes_whatever_torch_defaults(defaults) -> None:
    """Small corpus chunks and integer vectors: after the first chunks only a few entries
    beat the running k-th (the sparse-survivor path), and tied scores straddle the cut (the
    exact tie-key rescan), so every scratch tensor of the search is made. They must be made
    on the search's device and in its dtypes, not torch's process-wide defaults."""
    rng = np.random.default_rng(7)
    queries = rng.integers(-2, 3, size=(8, 4)).astype(np.float32)
    corpus = rng.integers(-2, 3, size=(240, 4)).astype(np.float32)
    tie_rank = rng.permutation(240)
    want_scores, want_rows = brute_force_top_k(queries, corpus, 3, "dot", tie_rank)
    context = {
        "float32 dtype": contextlib.nullcontext(),
        "float64 dtype": _default_dtype(torch.float64),
        "meta device": torch.device("meta"),  # tensors made without a device hold no values
    }[defaults]
    with context:
        scores, rows = top_k(
            queries, corpus, 3, "dot", query_chunk=4, corpus_chunk=16, device="cpu",
            tie_rank=tie_rank,
        )  # fmt: skip
        among_scores, among_rows = top_k_among(
            queries, corpus, [range(240)] * 8, 3, "dot", device="cpu", tie_rank=tie_rank
        )
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_array_equal(scores, want_scores.astype(np.float32))
    np.testing.assert_array_equal(among_rows, want_rows)
    np.testing.assert_array_equal(among_scores, want_scores.astype(np.float32))


def test_rows_found_by_the_sparse_path_stay_row_numbers_in_a_tied_answer() -> None:
    """Chunks of four: the first fills the running top three with 1s, each later chunk has
    one entry above them (the sparse-survivor path), and the answer ties 5 with 5."""
    corpus = np.array([[1.0]] * 4 + [[0.0], [0.0], [5.0], [0.0]] + [[0.0]] * 3 + [[5.0]])
    scores, rows = top_k(np.array([[1.0]]), corpus, 2, "dot", corpus_chunk=4, device="cpu")
    assert rows.tolist() == [[6, 11]] and rows.dtype == np.int64
    assert scores.tolist() == [[5.0, 5.0]]


@pytest.mark.parametrize("dtype", [np.int32, np.uint16, np.float64])
def test_tie_rank_of_any_numeric_dtype_ranks_the_same(dtype) -> None:
    """A tie_rank built as int32 (or from floats) must not overflow or round the tie keys."""
    corpus = np.ones((5, 2), dtype=np.float32)  # every document ties with every other
    tie_rank = np.array([3, 0, 4, 1, 2])
    want = top_k(np.ones((1, 2)), corpus, 5, "dot", device="cpu", tie_rank=tie_rank)
    got = top_k(np.ones((1, 2)), corpus, 3, "dot", device="cpu", tie_rank=tie_rank.astype(dtype))
    assert got[1].tolist() == [[1, 3, 4]] == want[1][:, :3].tolist()
