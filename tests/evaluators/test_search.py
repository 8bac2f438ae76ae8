"""Chunked exact top-k search against a brute-force full similarity matrix."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from search_oracle import brute_force_top_k as _brute_force

from pytest_mieb.metrics import topk as search
from pytest_mieb.metrics.topk import top_k, top_k_among


@pytest.mark.parametrize("similarity", ["cosine", "dot"])
@pytest.mark.parametrize(
    ("k", "query_chunk", "corpus_chunk"),
    [(10, 7, 33), (1, 64, 1000), (50, 1, 17), (200, 32, 64), (500, 16, 100)],
)
def test_matches_brute_force(similarity, k, query_chunk, corpus_chunk):
    rng = np.random.default_rng(k + corpus_chunk)
    queries = rng.normal(size=(40, 12)).astype(np.float32)
    corpus = rng.normal(size=(300, 12)).astype(np.float32)
    scores, rows = top_k(
        queries, corpus, k, similarity, query_chunk=query_chunk, corpus_chunk=corpus_chunk,
        device="cpu",
    )  # fmt: skip
    want_scores, want_rows = _brute_force(queries, corpus, k, similarity)
    assert scores.dtype == np.float32 and rows.dtype == np.int64
    assert rows.shape == (40, min(k, 300))
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_allclose(scores, want_scores, rtol=0, atol=1e-5)


def test_cosine_ignores_length_dot_does_not():
    queries = np.array([[1.0, 0.0]], dtype=np.float32)
    corpus = np.array([[10.0, 10.0], [0.5, 0.0]], dtype=np.float32)
    assert top_k(queries, corpus, 1, "cosine")[1].tolist() == [[1]]
    assert top_k(queries, corpus, 1, "dot")[1].tolist() == [[0]]
    np.testing.assert_allclose(top_k(queries, corpus, 2, "cosine")[0], [[1.0, 2**-0.5]], atol=1e-6)


def test_half_precision_inputs_are_upcast():
    rng = np.random.default_rng(0)
    queries = rng.normal(size=(5, 8)).astype(np.float16)
    corpus = rng.normal(size=(20, 8)).astype(np.float16)
    scores, rows = top_k(queries, corpus, 4, "dot")
    want_scores, want_rows = _brute_force(queries.astype(np.float32), corpus, 4, "dot")
    assert scores.dtype == np.float32
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_allclose(scores, want_scores, atol=1e-4)


def _tied_data():
    # Integer vectors: every dot product is exact, and many are equal.
    rng = np.random.default_rng(5)
    queries = rng.integers(-2, 3, size=(30, 4)).astype(np.float32)
    corpus = rng.integers(-2, 3, size=(400, 4)).astype(np.float32)
    return queries, corpus


@pytest.mark.parametrize(("query_chunk", "corpus_chunk"), [(5, 1), (7, 13), (30, 400), (4, 97)])
def test_ties_across_the_cut_follow_tie_rank_whatever_the_chunking(query_chunk, corpus_chunk):
    queries, corpus = _tied_data()
    tie_rank = np.random.default_rng(1).permutation(len(corpus))
    scores, rows = top_k(
        queries, corpus, 25, "dot", query_chunk=query_chunk, corpus_chunk=corpus_chunk,
        tie_rank=tie_rank,
    )  # fmt: skip
    want_scores, want_rows = _brute_force(queries, corpus, 25, "dot", tie_rank)
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_array_equal(scores, want_scores.astype(np.float32))


@pytest.mark.parametrize("seed", range(15))
def test_random_tie_heavy_cases(seed):
    rng = np.random.default_rng(100 + seed)
    n_docs = int(rng.integers(1, 300))
    queries = rng.integers(-1, 2, size=(int(rng.integers(1, 20)), 3)).astype(np.float32)
    corpus = rng.integers(-1, 2, size=(n_docs, 3)).astype(np.float32)
    k = int(rng.integers(1, 60))
    tie_rank = rng.permutation(n_docs)
    scores, rows = top_k(
        queries, corpus, k, "dot", query_chunk=int(rng.integers(1, 8)),
        corpus_chunk=int(rng.integers(1, 120)), tie_rank=tie_rank,
    )  # fmt: skip
    want_scores, want_rows = _brute_force(queries, corpus, k, "dot", tie_rank)
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_array_equal(scores, want_scores.astype(np.float32))


def test_default_tie_rank_prefers_lower_rows():
    queries = np.ones((2, 3), dtype=np.float32)
    corpus = np.ones((10, 3), dtype=np.float32)
    scores, rows = top_k(queries, corpus, 4, "dot", corpus_chunk=3)
    assert rows.tolist() == [[0, 1, 2, 3]] * 2
    assert scores.tolist() == [[3.0] * 4] * 2


def test_negative_zero_ties_with_zero():
    queries = np.array([[1.0, 0.0]], dtype=np.float32)
    corpus = np.array([[-0.0, 1.0], [0.0, 1.0], [-1.0, 0.0]], dtype=np.float32)
    # Scores -0.0 and +0.0 are equal, so tie_rank decides (row 0 ranked first here).
    _, rows = top_k(queries, corpus, 1, "dot", tie_rank=np.array([0, 1, 2]))
    assert rows.tolist() == [[0]]
    _, rows = top_k(queries, corpus, 1, "dot", tie_rank=np.array([1, 0, 2]))
    assert rows.tolist() == [[1]]


def test_k_beyond_corpus_returns_everything():
    queries, corpus = _tied_data()
    _, rows = top_k(queries, corpus[:6], 1000, "dot")
    assert rows.shape == (30, 6)
    assert sorted(rows[0].tolist()) == list(range(6))


def test_no_queries():
    scores, rows = top_k(np.zeros((0, 4), np.float32), np.ones((9, 4), np.float32), 5, "dot")
    assert scores.shape == rows.shape == (0, 5)


def test_never_scores_more_than_one_tile_at_once(monkeypatch):
    seen_widths = []
    real_topk = torch.topk

    def spying_topk(values, k, *args, **kwargs):
        seen_widths.append(tuple(values.shape))
        return real_topk(values, k, *args, **kwargs)

    monkeypatch.setattr(search.torch, "topk", spying_topk)
    rng = np.random.default_rng(2)
    queries = rng.normal(size=(50, 8)).astype(np.float32)
    corpus = rng.normal(size=(1000, 8)).astype(np.float32)
    top_k(queries, corpus, 5, "cosine", query_chunk=16, corpus_chunk=128)
    assert seen_widths, "top-k never ran"
    assert max(shape[0] for shape in seen_widths) <= 16
    assert max(shape[1] for shape in seen_widths) <= 128


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"similarity": "maxsim"}, "similarity"),
        ({"k": 0}, "k must be"),
        ({"tie_rank": np.array([0, 0, 1])}, "permutation"),
        ({"query_chunk": 0}, "query_chunk"),
    ],
)
def test_rejects_bad_arguments(kwargs, message):
    args = {"queries": np.ones((2, 3)), "corpus": np.ones((3, 3)), "k": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        top_k(**args)


def test_rejects_dimension_mismatch():
    with pytest.raises(ValueError, match="dimension"):
        top_k(np.ones((2, 3)), np.ones((4, 5)), 1, "dot")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    queries, corpus = _tied_data()
    tie_rank = np.random.default_rng(1).permutation(len(corpus))
    on_gpu = top_k(queries, corpus, 25, "dot", device="cuda", corpus_chunk=50, tie_rank=tie_rank)
    on_cpu = top_k(queries, corpus, 25, "dot", device="cpu", tie_rank=tie_rank)
    np.testing.assert_array_equal(on_gpu[1], on_cpu[1])
    np.testing.assert_array_equal(on_gpu[0], on_cpu[0])


def test_among_candidates_matches_brute_force_per_query():
    rng = np.random.default_rng(9)
    queries = rng.normal(size=(6, 5)).astype(np.float32)
    corpus = rng.normal(size=(20, 5)).astype(np.float32)
    candidates = [[3, 1, 7], [0], [], [19, 2, 5, 11, 4], [8, 8, 9], [6, 12]]
    scores, rows = top_k_among(queries, corpus, candidates, 10, "cosine", pair_chunk=4)
    assert rows.shape == (6, 5)
    full = _brute_force_matrix(queries, corpus)
    for i, cand in enumerate(candidates):
        unique = list(dict.fromkeys(cand))
        want = sorted(unique, key=lambda r, i=i: -full[i, r])
        assert rows[i, : len(unique)].tolist() == want
        assert (rows[i, len(unique) :] == -1).all()
        assert np.isneginf(scores[i, len(unique) :]).all()
        np.testing.assert_allclose(scores[i, : len(unique)], full[i, want], atol=1e-6)


def _brute_force_matrix(queries, corpus):
    q = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    c = corpus / np.linalg.norm(corpus, axis=1, keepdims=True)
    return q.astype(np.float64) @ c.T.astype(np.float64)


def test_among_candidates_ties_and_cut():
    queries = np.ones((1, 2), dtype=np.float32)
    corpus = np.ones((5, 2), dtype=np.float32)
    tie_rank = np.array([4, 3, 2, 1, 0])  # row 4 preferred
    scores, rows = top_k_among(queries, corpus, [[0, 2, 4, 1]], 2, "dot", tie_rank=tie_rank)
    assert rows.tolist() == [[4, 2]]
    assert scores.tolist() == [[2.0, 2.0]]


def test_among_candidates_rejects_unknown_rows_and_wrong_count():
    q, c = np.ones((1, 2)), np.ones((3, 2))
    with pytest.raises(ValueError, match="candidate rows"):
        top_k_among(q, c, [[0, 3]], 2, "dot")
    with pytest.raises(ValueError, match="candidate lists"):
        top_k_among(q, c, [[0], [1]], 2, "dot")
