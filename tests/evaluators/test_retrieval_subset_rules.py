"""Rules of one retrieval subset that the plain dense tests do not reach: late-interaction
(MaxSim) search and reranking, repeated query / corpus ids, ids of queries that are not in
the corpus, stripped fused documents, and the wording of every refusal."""

from __future__ import annotations

import numpy as np
import pytest
from evaluator_fakes import array_embedder, task_spec
from evaluator_fakes import make_subset as subset

import pytest_mieb.evaluators.retrieval as retrieval
from pytest_mieb.data.containers import Inputs, RetrievalData, RetrievalSubset
from pytest_mieb.embed.multivector import MultiVectors
from pytest_mieb.evaluators.retrieval import evaluate_multiple_choice, evaluate_retrieval
from pytest_mieb.evaluators.retrieval_ids import document_inputs


def spec(main_score="mrr_at_1", protocol="retrieval", **params):
    return task_spec(
        "Fake", "Any2AnyRetrieval", protocol, main_score, "fake/r", "0" * 40, params=params
    )


def multi(*items) -> MultiVectors:
    return MultiVectors.from_items([np.asarray(i, dtype=np.float32) for i in items])


# ---- late interaction ---------------------------------------------------------------------
# Query tokens (1, 0) and (0, 1). "long" has the most tokens, so it is never padded:
# MaxSim 0.3 + 0.3 = 0.6. "short" has one token (0.9, -0.5): padded with a zero row in
# mteb's tensor, so the second query token's best is max(-0.5, 0) = 0 and MaxSim is 0.9
# (plain, masked MaxSim would give 0.4 and put it below "long").
LONG = [[0.3, 0.0], [0.0, 0.3], [0.1, 0.1]]
SHORT = [[0.9, -0.5]]
QUERY = [[1.0, 0.0], [0.0, 1.0]]


def late_problem(candidates=None, tag="default"):
    data = subset(["q"], ["long", "short"], {"q": {"short": 1}}, tag=tag, candidates=candidates)
    arrays = {data.queries.key: multi(QUERY), data.corpus.key: multi(LONG, SHORT)}
    return data, arrays


@pytest.mark.parametrize("restricted", [False, True])
def test_late_interaction_scores_a_padded_document_with_mtebs_zero_floor(restricted):
    candidates = {"q": ["long", "short"]} if restricted else None
    data, arrays = late_problem(candidates)
    run = evaluate_multiple_choice if restricted else evaluate_retrieval
    got = run(spec(k_values=[1, 2]), RetrievalData({"default": data}), array_embedder(arrays))
    assert got["default"]["mrr_at_2"] == 1.0  # "short" (0.9) above "long" (0.6)


@pytest.mark.parametrize("restricted", [False, True])
def test_late_interaction_exact_ties_rank_the_larger_id_first(restricted):
    ids = ["b", "c", "a"]  # identical documents; "c" is first by id, neither first nor last row
    data = subset(["q"], ids, {"q": {"c": 1}}, candidates={"q": ids} if restricted else None)
    arrays = {data.queries.key: multi(QUERY), data.corpus.key: multi(LONG, LONG, LONG)}
    run = evaluate_multiple_choice if restricted else evaluate_retrieval
    got = run(spec(k_values=[1, 3]), RetrievalData({"default": data}), array_embedder(arrays))
    assert got["default"]["mrr_at_3"] == 1.0


def test_late_interaction_repeated_corpus_id_counts_once_at_its_best_copy():
    # corpus rows: "x" (weak copy), "y", "x" (strong copy); the strong copy of x leads.
    data = subset(["q"], ["x", "y", "x"], {"q": {"x": 1, "y": 1}})
    weak, strong = [[0.1, 0.0]], [[1.0, 1.0]]
    arrays = {data.queries.key: multi(QUERY), data.corpus.key: multi(weak, LONG, strong)}
    got = evaluate_retrieval(
        spec("ndcg_at_3", k_values=[1, 2, 3]),
        RetrievalData({"default": data}),
        array_embedder(arrays),
    )["default"]
    # x (2.0) then y (0.6): both relevant documents in the first two places, x listed once
    assert got["ndcg_at_2"] == 1.0
    assert got["precision_at_3"] == round(2 / 3, 5)
    assert got["mrr_at_1"] == 1.0


def test_late_interaction_reranking_pads_over_the_whole_corpus_not_per_50000_chunk():
    """mteb encodes a reranked corpus in one padded tensor: a short document in row 50000
    still gets the zero floor from the long document in row 0."""
    n = 50_001
    ids = [f"d{i:05d}" for i in range(n)]
    # row 0 is the longest document; row 1 is as long (MaxSim -0.1 - 0.1 = -0.2); the last
    # row has one token, plain MaxSim -0.2 - 0.5 = -0.7, floored per query token to 0.
    items = [LONG, [[-0.1, -0.1]] * 3] + [[[0.0, 0.0]]] * (n - 3) + [[[-0.2, -0.5]]]
    data = subset(["q"], ids, {"q": {ids[-1]: 1}}, candidates={"q": [ids[1], ids[-1]]})
    arrays = {data.queries.key: multi(QUERY), data.corpus.key: multi(*items)}
    got = evaluate_multiple_choice(
        spec("accuracy", "multiple_choice", k_values=[1]),
        RetrievalData({"default": data}),
        array_embedder(arrays),
    )
    assert got["default"]["accuracy"] == 1.0  # 0 (floored) beats -0.2


@pytest.mark.parametrize("restricted", [False, True])
def test_late_interaction_search_runs_on_the_embedders_device(monkeypatch, restricted):
    seen: list[object] = []
    name = "maxsim_among" if restricted else "maxsim_top_k"
    real = getattr(retrieval, name)

    def call(*args, device, **kwargs):
        seen.append(device)
        return real(*args, device="cpu", **kwargs)

    monkeypatch.setattr(retrieval, name, call)
    data, arrays = late_problem({"q": ["long", "short"]} if restricted else None)
    embedder = array_embedder(arrays)
    embedder.device = "cuda:5"
    run = evaluate_multiple_choice if restricted else evaluate_retrieval
    run(spec(k_values=[1]), RetrievalData({"default": data}), embedder)
    assert seen == ["cuda:5"]


def test_late_interaction_unknown_candidate_is_named_with_its_subset():
    data, arrays = late_problem({"q": ["long", "ghost"]}, tag="fr")
    with pytest.raises(ValueError, match=r"^Fake \[fr\]: query 'q' has candidates not in"):
        evaluate_multiple_choice(spec(), RetrievalData({"fr": data}), array_embedder(arrays))


# ---- repeated ids (dense) ------------------------------------------------------------------


def dense(vectors):
    return np.asarray(vectors, dtype=np.float32)


def test_repeated_query_id_pools_its_rows_keeping_each_documents_best_score():
    # query rows "q" (twice) and "p"; corpus a, b, c (dot product).
    # row 0 of q: a 3, b 2, c 1   row 1 of q: c 5, b 4, a 0
    # pooled q, best score per document: c 5, b 4, a 3 -> c first (relevant is c)
    qv = dense([[3, 2, 1], [0, 4, 5], [1, 0, 0]])
    cv = np.eye(3, dtype=np.float32)
    data = subset(["q", "q", "p"], ["a", "b", "c"], {"q": {"c": 1}, "p": {"a": 1}})
    arrays = {data.queries.key: qv, data.corpus.key: cv}
    got = evaluate_retrieval(
        spec(k_values=[1, 2, 3], top_k_retrieved=2),
        RetrievalData({"default": data}),
        array_embedder(arrays, similarity="dot"),
    )["default"]
    assert got["mrr_at_1"] == 1.0  # q: c first; p: a first
    assert got["recall_at_1"] == 1.0


def test_repeated_query_id_ranks_by_pooled_score_not_by_row():
    # pooled q: a 1, b 2, c 9 -> order c, b, a; relevant b is second
    qv = dense([[1, 2, 0], [0, 0, 9]])
    data = subset(["q", "q"], ["a", "b", "c"], {"q": {"b": 1}})
    arrays = {data.queries.key: qv, data.corpus.key: np.eye(3, dtype=np.float32)}
    got = evaluate_retrieval(
        spec(k_values=[1, 3]), RetrievalData({"default": data}), array_embedder(arrays, "dot")
    )["default"]
    assert got["mrr_at_3"] == 0.5


def test_repeated_query_id_keeps_the_best_not_the_last_score():
    # row 0: b 9, a 1; row 1: a 2, b 0 (dot). Best per document: b 9, a 2 -> b first.
    qv = dense([[1, 9], [2, 0]])
    data = subset(["q", "q"], ["a", "b"], {"q": {"b": 1}})
    arrays = {data.queries.key: qv, data.corpus.key: np.eye(2, dtype=np.float32)}
    got = evaluate_retrieval(
        spec(k_values=[1, 2]), RetrievalData({"default": data}), array_embedder(arrays, "dot")
    )["default"]
    assert got["mrr_at_1"] == 1.0


def test_short_pooled_runs_are_padded_with_nothing():
    # corpus rows a, b, a (copies of a score highest for p), c; top_k 2.
    # p's run after merging copies is [a] only; q (two rows) has two documents. p must not
    # get row 1 ("b", relevant to p) slipped into its empty second place.
    cv = dense([[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]])
    qv = dense([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    data = subset(["p", "q", "q"], ["a", "b", "a", "c"], {"p": {"b": 1}, "q": {"b": 1}})
    arrays = {data.queries.key: qv, data.corpus.key: cv}
    got = evaluate_retrieval(
        spec("recall_at_2", k_values=[2], top_k_retrieved=2),
        RetrievalData({"default": data}),
        array_embedder(arrays, "dot"),
    )["default"]
    assert got["recall_at_2"] == 0.5  # q finds b, p does not


def test_repeated_corpus_id_does_not_hide_the_documents_after_its_second_copy():
    # scores a 4, a' 3 (copy of a), b 2, c 1; b is relevant and must be second.
    qv = dense([[4, 3, 2, 1]])
    data = subset(["q"], ["a", "a", "b", "c"], {"q": {"b": 1}})
    arrays = {data.queries.key: qv, data.corpus.key: np.eye(4, dtype=np.float32)}
    got = evaluate_retrieval(
        spec(k_values=[1, 3]), RetrievalData({"default": data}), array_embedder(arrays, "dot")
    )["default"]
    assert got["mrr_at_3"] == 0.5


# ---- ignore_identical_ids with a query id that is not in the corpus -----------------------


def test_ignore_identical_ids_leaves_queries_without_a_namesake_alone():
    # "q" is not a corpus id: nothing is removed from its run (b at row 1 stays first)
    qv = dense([[0, 1, 0]])
    data = subset(["q"], ["a", "b", "c"], {"q": {"b": 1}})
    arrays = {data.queries.key: qv, data.corpus.key: np.eye(3, dtype=np.float32)}
    got = evaluate_retrieval(
        spec(k_values=[1], ignore_identical_ids=True),
        RetrievalData({"default": data}),
        array_embedder(arrays, "dot"),
    )["default"]
    assert got["mrr_at_1"] == 1.0


# ---- documents, subsets, similarity ---------------------------------------------------------


def test_stripping_fused_document_texts_keeps_their_images():
    corpus = Inputs(key="c", images=["img0", "img1"], texts=[" a ", "b"])
    stripped = document_inputs(corpus)
    assert stripped.texts == ["a", "b"]
    assert list(stripped.images) == ["img0", "img1"]


def test_both_sides_are_embedded_for_their_subset():
    data = subset(["q"], ["a", "b"], {"q": {"a": 1}}, tag="de")
    arrays = {data.queries.key: dense([[1, 0]]), data.corpus.key: np.eye(2, dtype=np.float32)}
    embedder = array_embedder(arrays)
    evaluate_retrieval(spec(k_values=[1]), RetrievalData({"de": data}), embedder)
    assert [(key, subset_name) for key, _, subset_name, _ in embedder.contexts] == [
        ("de/queries", "de"),
        ("de/corpus", "de"),
    ]


def test_multiple_choice_uses_the_embedders_similarity():
    # dot: "big" (10, 0) beats "near" (1, 0.1); cosine would pick "near" ... and "big"
    # is the one judged relevant, so only dot scores 1.
    qv = dense([[1, 0.2]])
    cv = dense([[10, 0], [1, 0.2]])
    data = subset(["q"], ["big", "near"], {"q": {"big": 1}}, candidates={"q": ["big", "near"]})
    arrays = {data.queries.key: qv, data.corpus.key: cv}
    got = evaluate_multiple_choice(
        spec("accuracy", "multiple_choice", k_values=[1]),
        RetrievalData({"default": data}),
        array_embedder(arrays, "dot"),
    )
    assert got["default"]["accuracy"] == 1.0


# ---- refusals, each naming the task and (when not "default") the subset -------------------


def refusal(data, arrays, tag, **params):
    with pytest.raises(ValueError) as err:
        evaluate_retrieval(spec(**params), RetrievalData({tag: data}), array_embedder(arrays))
    return str(err.value)


@pytest.mark.parametrize(("tag", "where"), [("default", "Fake"), ("en", "Fake [en]")])
def test_refusals_name_the_task_and_the_subset(tag, where):
    ok = subset(["q"], ["a", "b"], {"q": {"a": 1}}, tag=tag)
    arrays = {ok.queries.key: dense([[1, 0]]), ok.corpus.key: np.eye(2, dtype=np.float32)}
    unjudged = subset(["q"], ["a", "b"], {}, tag=tag)
    assert refusal(unjudged, arrays, tag) == f"{where}: no query has relevance judgements"
    short_ids = RetrievalSubset(
        query_ids=["q"], queries=Inputs(key=f"{tag}/queries", texts=["x", "y"]),
        corpus_ids=["a", "b"], corpus=ok.corpus, qrels=ok.qrels,
    )  # fmt: skip
    assert refusal(short_ids, arrays, tag) == f"{where}: 1 query ids for 2 query inputs"
    short_corpus_ids = RetrievalSubset(
        query_ids=["q"], queries=ok.queries, corpus_ids=["a"], corpus=ok.corpus, qrels=ok.qrels,
    )  # fmt: skip
    assert refusal(short_corpus_ids, arrays, tag) == f"{where}: 1 corpus ids for 2 corpus inputs"
    empty = RetrievalSubset(
        query_ids=["q"], queries=ok.queries, corpus_ids=[],
        corpus=Inputs(key=f"{tag}/empty", texts=[]), qrels=ok.qrels,
    )  # fmt: skip
    assert refusal(empty, arrays, tag) == f"{where}: the corpus is empty"
    few_queries = {**arrays, ok.queries.key: np.zeros((0, 2), np.float32)}
    assert refusal(ok, few_queries, tag).startswith(f"{where}: query embeddings have 0 rows")
    few_docs = {**arrays, ok.corpus.key: dense([[1, 0]])}
    assert refusal(ok, few_docs, tag).startswith(f"{where}: corpus embeddings have 1 rows")
    narrow = {**arrays, ok.corpus.key: np.eye(2, 3, dtype=np.float32)}
    assert refusal(ok, narrow, tag).startswith(f"{where}: corpus embeddings have dimension")
    assert refusal(ok, arrays, tag, top_k_retrieved=0) == (
        "Fake: top_k_retrieved must be >= 1, got 0"
    )


def test_a_corpus_of_one_document_is_evaluated():
    data = subset(["q"], ["a"], {"q": {"a": 1}})
    arrays = {data.queries.key: dense([[1, 0]]), data.corpus.key: dense([[1, 0]])}
    got = evaluate_retrieval(
        spec(k_values=[1]), RetrievalData({"default": data}), array_embedder(arrays)
    )
    assert got["default"]["mrr_at_1"] == 1.0


def test_dense_unknown_candidate_is_named_with_its_subset():
    data = subset(["q"], ["a", "b"], {"q": {"a": 1}}, tag="it", candidates={"q": ["a", "zz"]})
    arrays = {data.queries.key: dense([[1, 0]]), data.corpus.key: np.eye(2, dtype=np.float32)}
    with pytest.raises(ValueError, match=r"^Fake \[it\]: query 'q' has candidates not in"):
        evaluate_multiple_choice(spec(), RetrievalData({"it": data}), array_embedder(arrays))
