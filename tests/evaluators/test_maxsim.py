"""MaxSim scoring (`pytest_mieb.metrics.maxsim`) against a brute-force reference, including
mteb's zero-padding rule, ties, tiling and bounded blocks."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_mieb.embed.multivector import MultiVectors, concat
from pytest_mieb.metrics.maxsim import maxsim_among, maxsim_scores, maxsim_top_k, padding_floor


def bags(rng: np.random.Generator, n: int, lo: int, hi: int, dim: int = 8) -> list[np.ndarray]:
    return [
        rng.standard_normal((int(rng.integers(lo, hi)), dim)).astype(np.float32) for _ in range(n)
    ]


def brute(
    queries: list[np.ndarray], docs: list[np.ndarray], floor: np.ndarray | None
) -> np.ndarray:
    """Per query token: best dot product over the document's tokens (and 0 where the document
    has padding), summed; in float64."""
    out = np.zeros((len(queries), len(docs)))
    for i, q in enumerate(queries):
        for j, d in enumerate(docs):
            best = (q.astype(np.float64) @ d.T.astype(np.float64)).max(axis=1)
            if floor is not None and floor[j]:
                best = np.maximum(best, 0.0)
            out[i, j] = best.sum()
    return out


def zero_padded_colpali_score(q: np.ndarray, docs: list[np.ndarray]) -> np.ndarray:
    """colpali-engine's scoring on mteb's zero-padded tensors, written out: pad every
    document with zero rows to the longest, einsum, max over document tokens, sum."""
    width = max(len(d) for d in docs)
    padded = np.zeros((len(docs), width, q.shape[1]))
    for j, d in enumerate(docs):
        padded[j, : len(d)] = d
    return np.einsum("nd,csd->cns", q, padded).max(axis=2).sum(axis=1)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def test_scores_equal_brute_force_masked_and_with_mtebs_padding_floor(rng) -> None:
    q_items, d_items = bags(rng, 13, 1, 6), bags(rng, 40, 1, 9)
    queries, docs = MultiVectors.from_items(q_items), MultiVectors.from_items(d_items)
    np.testing.assert_allclose(
        maxsim_scores(queries, docs), brute(q_items, d_items, None), atol=1e-5
    )
    floor = padding_floor(docs)
    got = maxsim_scores(queries, docs, floor, block_elements=50)  # many tiny blocks
    np.testing.assert_allclose(got, brute(q_items, d_items, floor), atol=1e-5)


def test_the_floor_is_what_zero_padding_does_to_colpali_engine_scores(rng) -> None:
    q_items, d_items = bags(rng, 4, 2, 5), bags(rng, 6, 1, 7)
    queries, docs = MultiVectors.from_items(q_items), MultiVectors.from_items(d_items)
    want = np.stack([zero_padded_colpali_score(q, d_items) for q in q_items])
    np.testing.assert_allclose(maxsim_scores(queries, docs, padding_floor(docs)), want, atol=1e-5)
    # all-negative similarities: the clip decides the score of every shorter document
    negative = MultiVectors.from_items([-d for d in d_items])
    want = np.stack([zero_padded_colpali_score(q, [-d for d in d_items]) for q in q_items])
    got = maxsim_scores(queries, negative, padding_floor(negative))
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_padding_floor_is_per_corpus_chunk_and_per_part() -> None:
    lengths = [3, 5, 5, 2, 2]
    docs = MultiVectors.from_items([np.ones((n, 2), np.float32) for n in lengths])
    assert padding_floor(docs).tolist() == [True, False, False, True, True]
    assert padding_floor(docs, chunk=3).tolist() == [True, False, False, False, False]
    # fused documents: text and image halves are padded separately
    fused = MultiVectors.from_items(
        [np.ones((n, 2), np.float32) for n in (4, 4, 5)], parts=[(1, 3), (2, 2), (2, 3)]
    )
    assert padding_floor(fused).tolist() == [True, True, False]


def test_top_k_is_the_sorted_brute_force_whatever_the_tiling(rng) -> None:
    q_items, d_items = bags(rng, 9, 1, 5), bags(rng, 30, 1, 6)
    queries, docs = MultiVectors.from_items(q_items), MultiVectors.from_items(d_items)
    floor = padding_floor(docs)
    want = brute(q_items, d_items, floor)
    scores, rows = maxsim_top_k(
        queries, docs, 6, floor, query_chunk=4, score_chunk=7, block_elements=40
    )
    assert rows.tolist() == np.argsort(-want, axis=1)[:, :6].tolist()
    np.testing.assert_allclose(scores, np.take_along_axis(want, rows, axis=1), atol=1e-5)
    assert maxsim_top_k(queries, docs, 100)[1].shape == (9, 30)


def test_exact_ties_are_broken_by_tie_rank_across_tiles(rng) -> None:
    # small integers: every dot product and sum is exact in float32, so ties are exact
    q_items = [rng.integers(-2, 3, (int(n), 4)).astype(np.float32) for n in rng.integers(1, 4, 7)]
    d_items = [rng.integers(-2, 3, (int(n), 4)).astype(np.float32) for n in rng.integers(1, 4, 25)]
    queries, docs = MultiVectors.from_items(q_items), MultiVectors.from_items(d_items)
    ranks = rng.permutation(25)
    want = brute(q_items, d_items, None)
    assert any(len(set(row)) < len(row) for row in want.tolist())  # there are ties
    scores, rows = maxsim_top_k(
        queries, docs, 5, tie_rank=ranks, query_chunk=3, score_chunk=4, block_elements=20
    )
    for i in range(len(q_items)):
        assert rows[i].tolist() == np.lexsort((ranks, -want[i]))[:5].tolist()
        np.testing.assert_array_equal(scores[i], want[i, rows[i]])


def test_candidate_lists_rank_only_their_documents(rng) -> None:
    q_items, d_items = bags(rng, 4, 1, 5), bags(rng, 12, 1, 6)
    queries, docs = MultiVectors.from_items(q_items), MultiVectors.from_items(d_items)
    floor = padding_floor(docs, chunk=len(docs))
    want = brute(q_items, d_items, floor)
    candidates = [[3, 1, 3, 7], [], [0], [11, 10, 9]]
    scores, rows = maxsim_among(queries, docs, candidates, 2, floor)
    assert rows.tolist() == [
        sorted({3, 1, 7}, key=lambda r: -want[0, r])[:2], [-1, -1], [0, -1],
        sorted([11, 10, 9], key=lambda r: -want[3, r])[:2],
    ]  # fmt: skip
    assert np.isneginf(scores[1]).all() and np.isneginf(scores[2, 1])
    np.testing.assert_allclose(scores[0], want[0, rows[0]], atol=1e-5)


def test_multivectors_slice_concat_and_validate(rng) -> None:
    items = bags(rng, 5, 1, 4)
    mv = MultiVectors.from_items(items)
    picked = mv[[4, 0, 2]]
    assert [len(picked.item(i)) for i in range(3)] == [len(items[k]) for k in (4, 0, 2)]
    np.testing.assert_array_equal(picked.item(0), items[4])
    np.testing.assert_array_equal(mv[1:3].item(1), items[2])
    joined = concat([mv[:2], mv[2:]])
    np.testing.assert_array_equal(joined.data, mv.data)
    assert mv.shape == (5, 8) and not mv.data.flags.writeable
    with pytest.raises(ValueError, match="parts must sum"):
        MultiVectors(mv.data, mv.offsets, np.zeros((5, 1), np.int64))
