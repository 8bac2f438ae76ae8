"""MaxSim scoring (`pytest_mieb.metrics.maxsim`) against a brute-force reference, including
mteb's zero-padding rule, ties, tiling and bounded blocks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

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


def mv(items: list[np.ndarray], dim: int = 0) -> MultiVectors:
    return MultiVectors.from_items([np.asarray(x, np.float32) for x in items], dim=dim)


def negative_pairs(rng: np.random.Generator, n_q: int, n_d: int) -> tuple[list, list]:
    """Queries and documents whose every token dot product is negative, so that each query
    token's maximum is negative and the padding floor (a clip at 0) decides scores."""
    q_items = [np.abs(x) for x in bags(rng, n_q, 1, 4)]
    d_items = [-np.abs(x) for x in bags(rng, n_d, 1, 6)]
    return q_items, d_items


def by_score_then_rank(scores: np.ndarray, ranks: np.ndarray, k: int) -> list[int]:
    return np.lexsort((ranks, -scores))[:k].tolist()


def test_top_k_of_all_negative_scores_keeps_the_best_across_score_chunks(rng) -> None:
    q_items, d_items = negative_pairs(rng, 5, 17)
    queries, docs = mv(q_items), mv(d_items)
    for floor in (None, padding_floor(docs)):
        want = brute(q_items, d_items, floor)
        assert (want <= 0).all() and (want < 0).any()
        scores, rows = maxsim_top_k(queries, docs, 3, floor, score_chunk=4)
        for i in range(len(q_items)):  # floored documents all score exactly 0: ties by row
            assert rows[i].tolist() == by_score_then_rank(want[i], np.arange(17), 3)
        np.testing.assert_allclose(scores, np.take_along_axis(want, rows, axis=1), atol=1e-5)
        assert scores.dtype == np.float32 and rows.dtype == np.int64


def test_candidate_lists_apply_the_floor_given_and_no_floor_without_one(rng) -> None:
    q_items, d_items = negative_pairs(rng, 3, 7)
    queries, docs = mv(q_items), mv(d_items)
    candidates = [[0, 2, 5], [1, 3], [6, 4, 5, 0]]
    for floor in (padding_floor(docs, chunk=len(docs)), None):
        want = brute(q_items, d_items, floor)
        scores, rows = maxsim_among(queries, docs, candidates, 3, floor)
        for i, cand in enumerate(candidates):
            top = sorted(cand, key=lambda r: (-want[i, r], r))[:3]
            assert rows[i, : len(top)].tolist() == top
            np.testing.assert_allclose(scores[i, : len(top)], want[i, top], atol=1e-5)
        assert scores.dtype == np.float32 and rows.dtype == np.int64


def test_candidate_lists_break_exact_ties_by_tie_rank(rng) -> None:
    a, b = rng.integers(-2, 3, (2, 3)), rng.integers(-2, 3, (3, 3))
    d_items = [a, b, a, b, -a]  # rows 0/2 and 1/3 are the same document: exact ties
    q_items = [rng.integers(-2, 3, (2, 3)) for _ in range(2)]
    queries, docs = mv(q_items), mv(d_items)
    ranks = np.array([4, 3, 2, 1, 0])
    want = brute([np.float32(q) for q in q_items], [np.float32(d) for d in d_items], None)
    candidates = [[0, 1, 2, 3, 4], [3, 2, 1, 0]]
    scores, rows = maxsim_among(queries, docs, candidates, 4, tie_rank=ranks)
    for i, cand in enumerate(candidates):
        cand = np.asarray(cand)
        assert rows[i].tolist() == cand[by_score_then_rank(want[i, cand], ranks[cand], 4)].tolist()
        np.testing.assert_array_equal(scores[i], want[i, rows[i]])


def test_no_queries_give_empty_results_of_the_documented_shapes() -> None:
    docs = mv([np.ones((2, 3))] * 4)
    none = mv([], dim=3)
    scores = maxsim_scores(none, docs)
    assert scores.shape == (0, 4) and scores.dtype == np.float32
    scores, rows = maxsim_top_k(none, docs, 2)
    assert scores.shape == rows.shape == (0, 2)
    scores, rows = maxsim_among(none, docs, [], 2)
    assert scores.shape == rows.shape == (0, 0)


def test_one_query_k_one_and_tiles_of_one() -> None:
    q_items = [[[1.0, 2.0]]]  # one query of one token
    d_items = [[[0.0, 1.0]], [[1.0, 0.0]], [[1.0, 1.0], [0.0, -1.0]], [[0.5, 0.5]]]
    queries, docs = mv(q_items), mv(d_items)
    # by hand: best dot products 2, 1, 3, 1.5
    scores, rows = maxsim_top_k(queries, docs, 1, query_chunk=1, score_chunk=1)
    assert rows.tolist() == [[2]] and scores.tolist() == [[3.0]]
    scores, rows = maxsim_top_k(queries, docs, 2, query_chunk=1, score_chunk=1)
    assert rows.tolist() == [[2, 0]] and scores.tolist() == [[3.0, 2.0]]


def test_single_token_queries_are_scored(rng) -> None:
    q_items, d_items = bags(rng, 3, 1, 2), bags(rng, 6, 1, 5)
    assert all(len(q) == 1 for q in q_items)
    got = maxsim_scores(mv(q_items), mv(d_items))
    np.testing.assert_allclose(got, brute(q_items, d_items, None), atol=1e-5)


def test_documents_without_tokens_score_zero(rng) -> None:
    empty = np.zeros((0, 4))
    d_items = [empty, empty, *bags(rng, 2, 1, 4, dim=4), empty]
    q_items = bags(rng, 3, 1, 4, dim=4)
    queries, docs = mv(q_items), mv(d_items)
    full = brute(q_items, d_items[2:4], None)
    want = np.zeros((3, 5))
    want[:, 2:4] = full
    # one block holding every document, and blocks of one-token budgets, where the two
    # leading empty documents form a block of their own
    for block_elements in (1 << 20, 1):
        got = maxsim_scores(queries, docs, block_elements=block_elements)
        np.testing.assert_allclose(got, want, atol=1e-5)
        got = maxsim_scores(queries, docs, padding_floor(docs), block_elements=block_elements)
        np.testing.assert_allclose(got[:, [0, 1, 4]], 0.0)


def test_queries_without_tokens_score_zero(rng) -> None:
    empty = np.zeros((0, 4))
    docs = mv([empty, *bags(rng, 3, 1, 4, dim=4)])
    no_tokens = mv([empty, empty])
    np.testing.assert_array_equal(maxsim_scores(no_tokens, docs), np.zeros((2, 4)))
    scores, rows = maxsim_top_k(no_tokens, docs, 2, padding_floor(docs))
    assert rows.tolist() == [[0, 1], [0, 1]] and not scores.any()


def test_the_floor_may_be_given_as_zeros_and_ones(rng) -> None:
    q_items, d_items = negative_pairs(rng, 3, 6)
    queries, docs = mv(q_items), mv(d_items)
    floor = padding_floor(docs)
    assert floor.any() and not floor.all()
    want = brute(q_items, d_items, floor)
    np.testing.assert_allclose(
        maxsim_scores(queries, docs, floor.astype(np.int64)), want, atol=1e-5
    )
    got = maxsim_among(queries, docs, [[0, 1, 2, 3, 4, 5]] * 3, 6, floor.astype(np.int64))[0]
    np.testing.assert_allclose(got, -np.sort(-want, axis=1), atol=1e-5)


def test_padding_floor_is_a_bool_array() -> None:
    docs = mv([np.ones((n, 2)) for n in (3, 1, 3)])
    assert padding_floor(docs).dtype == np.bool_
    assert padding_floor(mv([], dim=2)).dtype == np.bool_


def test_bad_arguments_are_refused_with_their_reason() -> None:
    queries, docs = mv([np.ones((2, 3))] * 2), mv([np.ones((1, 3))] * 4)
    chunks = r"^k, query_chunk and score_chunk must be >= 1$"
    for bad in ({"k": 0}, {"query_chunk": 0}, {"score_chunk": 0}):
        with pytest.raises(ValueError, match=chunks):
            maxsim_top_k(queries, docs, **{"k": 2, **bad})
    with pytest.raises(ValueError, match=r"^tie_rank must have one rank per document \(4\)$"):
        maxsim_top_k(queries, docs, 2, tie_rank=np.arange(3))
    with pytest.raises(ValueError, match=r"^doc_floor must have one flag per document \(4\)$"):
        maxsim_scores(queries, docs, np.zeros(3, bool))
    with pytest.raises(ValueError, match=r"^query dimension 2 != document dimension 3$"):
        maxsim_scores(mv([np.ones((1, 2))]), docs)
    with pytest.raises(ValueError, match=r"^1 candidate lists for 2 queries$"):
        maxsim_among(queries, docs, [[0]], 1)
    for rows in ([0, 4], [-1, 2]):  # 4 is one past the last document
        with pytest.raises(ValueError, match=r"^candidate rows must lie in \[0, 4\), got "):
            maxsim_among(queries, docs, [rows, [0]], 1)


def one_dim_bags(values: list[list[float]]) -> MultiVectors:
    return mv([np.asarray(v, np.float32)[:, None] for v in values])


def test_every_query_is_padded_to_the_longest_query_whatever_its_tile() -> None:
    """mteb scores all queries as one zero-padded tensor and sums each query's token maxima
    over the whole padded width in float32; float32 sums can depend on that width."""
    big = float(2**24)
    short = [1.0, 1.0, 1.0, 1.0, big]  # summed at width 5 or at width 9: different floats
    values = [[1.0] * 9] + [short] * 69  # the second tile of 64 holds only short queries
    queries = one_dim_bags(values)
    docs = one_dim_bags([[1.0], [0.5]])  # one token each: every dot product is exact

    def mteb(values: list[list[float]], width: int) -> np.ndarray:
        """Per query token its best dot product, zero-padded to `width`, summed by torch."""
        best = torch.zeros((len(values), 2, width), dtype=torch.float32)
        for i, v in enumerate(values):
            for j, d in enumerate((1.0, 0.5)):
                best[i, j, : len(v)] = torch.tensor(v) * d
        return best.sum(dim=2).numpy()

    want = mteb(values, 9)
    assert (mteb([short], 9) != mteb([short], 5)).all()  # the width shows in these scores
    np.testing.assert_array_equal(maxsim_scores(queries, docs), want)
    for query_chunk in (1, 7, 70):
        scores, rows = maxsim_top_k(queries, docs, 2, query_chunk=query_chunk)
        assert (rows[:, 0] == 0).all()
        np.testing.assert_array_equal(scores, np.take_along_axis(want, rows, axis=1))


def varied(rng: np.random.Generator) -> tuple[list, list]:
    """Queries and documents of varied lengths, with empty documents among them."""
    empty = np.zeros((0, 8))
    d_items = bags(rng, 9, 1, 6)
    d_items[1:1] = [empty, empty]
    d_items.append(empty)
    return bags(rng, 5, 1, 5), d_items


def expected(q_items: list, d_items: list, floor: np.ndarray | None) -> np.ndarray:
    """`brute`, with 0 for documents without tokens."""
    keep = [j for j, d in enumerate(d_items) if len(d)]
    out = np.zeros((len(q_items), len(d_items)))
    out[:, keep] = brute(
        q_items, [d_items[j] for j in keep], None if floor is None else floor[keep]
    )
    return out


@pytest.mark.parametrize("block_elements", [1, 1 << 20])
def test_the_device_asked_for_is_used_not_torchs_default_device(rng, block_elements) -> None:
    q_items, d_items = varied(rng)
    queries, docs = mv(q_items), mv(d_items)
    floor = padding_floor(docs)
    want = expected(q_items, d_items, floor)
    with torch.device("meta"):  # tensors made without a device would hold no values
        scores = maxsim_scores(queries, docs, floor, device="cpu", block_elements=block_elements)
        top, rows = maxsim_top_k(
            queries, docs, 4, floor, device="cpu", query_chunk=2, block_elements=block_elements
        )
        among, among_rows = maxsim_among(queries, docs, [[0, 3, 5]] * 5, 2, floor, device="cpu")
    np.testing.assert_allclose(scores, want, atol=1e-5)
    np.testing.assert_allclose(top, np.take_along_axis(want, rows, axis=1), atol=1e-5)
    np.testing.assert_allclose(top, -np.sort(-want, axis=1)[:, :4], atol=1e-5)
    np.testing.assert_allclose(among, np.take_along_axis(want, among_rows, axis=1), atol=1e-5)


def test_a_device_this_machine_lacks_is_an_error_not_the_cpu(rng) -> None:
    q_items, d_items = varied(rng)
    queries, docs = mv(q_items), mv(d_items)
    for score in (
        lambda: maxsim_scores(queries, docs, device="cuda:99"),
        lambda: maxsim_top_k(queries, docs, 2, device="cuda:99"),
        lambda: maxsim_among(queries, docs, [[0, 3]] * 5, 2, device="cuda:99"),
    ):
        with pytest.raises((RuntimeError, AssertionError)):  # no driver, or no such GPU
            score()


@pytest.mark.parametrize("default", [torch.float64, torch.bfloat16])
def test_scores_do_not_depend_on_torchs_default_dtype(rng, default) -> None:
    """Model code may leave torch's default dtype changed; scores stay float32 throughout."""
    q_items, d_items = varied(rng)
    queries, docs = mv(q_items), mv(d_items)
    floor = padding_floor(docs)

    def run() -> list[np.ndarray]:
        top = maxsim_top_k(queries, docs, 4, floor, query_chunk=2, score_chunk=5)
        return [maxsim_scores(queries, docs, floor, block_elements=30), *top]

    want = run()
    np.testing.assert_allclose(want[0], expected(q_items, d_items, floor), atol=1e-5)
    before = torch.get_default_dtype()
    torch.set_default_dtype(default)
    try:
        got = run()
    finally:
        torch.set_default_dtype(before)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
        assert g.dtype == w.dtype


def test_scoring_warns_about_nothing(rng) -> None:
    q_items, d_items = varied(rng)
    queries, docs = mv(q_items), mv(d_items)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        maxsim_scores(queries, docs, padding_floor(docs), block_elements=40)
        maxsim_top_k(queries, docs, 3, query_chunk=2, score_chunk=4, block_elements=40)
        maxsim_among(queries, docs, [[0, 3, 4]] * 5, 2)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_scores_equal_the_brute_force(rng) -> None:
    q_items, d_items = negative_pairs(rng, 6, 20)
    d_items[3:3] = [np.zeros((0, 8)), np.zeros((0, 8))]
    queries, docs = mv(q_items), mv(d_items)
    floor = padding_floor(docs)
    want = expected(q_items, d_items, floor)
    scores, rows = maxsim_top_k(queries, docs, 5, floor, device="cuda", score_chunk=7)
    np.testing.assert_allclose(scores, np.take_along_axis(want, rows, axis=1), atol=1e-4)
    np.testing.assert_allclose(scores, -np.sort(-want, axis=1)[:, :5], atol=1e-4)
    among, among_rows = maxsim_among(queries, docs, [[0, 3, 6, 9]] * 6, 3, floor, device="cuda")
    np.testing.assert_allclose(among, np.take_along_axis(want, among_rows, axis=1), atol=1e-4)
