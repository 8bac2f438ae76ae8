"""Retrieval data handled as the reference handles it: stripped document texts, merged
repeated ids, and candidate lists from a `top_ranked` config.

Expectations come from `retrieval_metrics` (trec_eval semantics on a {query: {doc: score}}
run) applied to the run mteb builds, written out by hand here.
"""

from __future__ import annotations

import numpy as np
import pytest
from evaluator_fakes import VectorEmbedder, array_embedder, task_spec

from pytest_mieb.data.containers import Inputs, RetrievalData, RetrievalSubset
from pytest_mieb.evaluators.base import collect_per_item
from pytest_mieb.evaluators.retrieval import evaluate_multiple_choice, evaluate_retrieval
from pytest_mieb.evaluators.retrieval_ids import STRIPPED, document_inputs
from pytest_mieb.metrics.retrieval import retrieval_metrics

KS = (1, 3, 5, 10)


def spec(protocol: str = "retrieval", main_score: str = "ndcg_at_10", **params):
    params.setdefault("k_values", list(KS))
    return task_spec("Fidelity", "Any2AnyRetrieval", protocol, main_score, params=params)


def subset(query_ids, corpus_ids, qrels, query_texts=None, corpus_texts=None, candidates=None):
    return RetrievalSubset(
        query_ids=list(query_ids),
        queries=Inputs(key="q", texts=list(query_texts or [f"q:{q}" for q in query_ids])),
        corpus_ids=list(corpus_ids),
        corpus=Inputs(key="c", texts=list(corpus_texts or [f"d:{d}" for d in corpus_ids])),
        qrels=qrels,
        candidates=candidates,
    )


def without_main(scores):
    return {k: v for k, v in scores.items() if k != "main_score"}


def cosine(a, b) -> float:
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return float(np.float32(a @ b / np.linalg.norm(a) / np.linalg.norm(b)))


# -- document texts -----------------------------------------------------------------------


def test_documents_are_stripped_and_queries_are_not():
    vectors = {"  padded query ": [1, 0], "doc one": [1, 0.1], "doc two": [0, 1]}
    data = subset(
        ["q1"],
        ["d1", "d2"],
        {"q1": {"d1": 1}},
        query_texts=["  padded query "],
        corpus_texts=[" doc one\n", "doc two"],
    )
    embedder = VectorEmbedder(vectors, any_prompt_type=True)
    got = evaluate_retrieval(spec(), RetrievalData({"default": data}), embedder)["default"]
    assert got["ndcg_at_10"] == 1.0
    query_call, corpus_call = embedder.calls
    assert list(query_call.texts) == ["  padded query "]
    assert list(corpus_call.texts) == ["doc one", "doc two"]
    assert corpus_call.key == f"c{STRIPPED}"  # new contents, new cache identity


def test_unchanged_documents_keep_their_inputs_and_key():
    clean = Inputs(key="k", texts=["a", "b"])
    assert document_inputs(clean) is clean
    images_only = Inputs(key="k", images=[[1.0]])
    assert document_inputs(images_only) is images_only


def test_a_stripped_subset_never_passes_for_a_slice_of_the_raw_parent():
    parent = Inputs(key="org/x@r/corpus/test/text", texts=[" a", "b ", "c"])
    child = document_inputs(parent.subset([0, 2]))
    base, _, rows = child.key.partition("#")
    assert base == f"org/x@r/corpus/test/text{STRIPPED}" and rows
    assert list(child.texts) == ["a", "c"]


# -- repeated ids -------------------------------------------------------------------------


def test_a_repeated_corpus_id_counts_once_at_its_best_score():
    # d1 on rows 1 and 3: row 3 is the better copy for q1, row 1 for q2
    corpus = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0.1, 0], [0.5, 0.5, 0]], np.float32)
    queries = np.array([[1, 0, 0], [0, 1, 0.2]], np.float32)
    ids = ["d0", "d1", "d2", "d1", "d3"]
    qrels = {"qa": {"d1": 1}, "qb": {"d1": 1, "d3": 1}}
    data = subset(["qa", "qb"], ids, qrels)
    got = evaluate_retrieval(
        spec(), RetrievalData({"default": data}), array_embedder({"q": queries, "c": corpus})
    )["default"]
    run = {}
    for qid, vector in zip(["qa", "qb"], queries, strict=True):
        scores: dict[str, float] = {}
        for doc, row in zip(ids, corpus, strict=True):
            scores[doc] = max(scores.get(doc, -np.inf), cosine(vector, row))
        run[qid] = scores
    assert without_main(got) == retrieval_metrics(qrels, run, KS)


def test_a_repeated_query_id_pools_its_rows_and_is_evaluated_once():
    corpus = np.eye(4, dtype=np.float32)
    queries = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0.1]], np.float32)
    query_ids = ["qa", "qb", "qb"]
    qrels = {"qa": {"d0": 1}, "qb": {"d2": 1, "d3": 1}}
    data = subset(query_ids, ["d0", "d1", "d2", "d3"], qrels)
    embedder = array_embedder({"q": queries, "c": corpus})
    with collect_per_item() as store:
        got = evaluate_retrieval(
            spec(top_k_retrieved=2), RetrievalData({"default": data}), embedder
        )["default"]
    assert len(store["ndcg_at_10"]["default"]) == 2  # qa, qb: one evaluation per id
    assert embedder.requests[0] == ("q", "query")  # every row was encoded
    pooled: dict[str, float] = {}
    for vector in queries[1:]:
        top = sorted(((cosine(vector, c), f"d{j}") for j, c in enumerate(corpus)), reverse=True)
        for score, doc in top[:2]:
            pooled[doc] = max(pooled.get(doc, -np.inf), score)
    pooled = dict(sorted(pooled.items(), key=lambda item: -item[1])[:2])
    run = {"qa": {"d0": 1.0, "d3": 0.0}, "qb": pooled}
    assert without_main(got) == retrieval_metrics(qrels, run, KS)
    assert got["recall_at_10"] == 0.75  # qb finds d2 (from row 3) and d1 (row 2), not d3


def test_candidates_use_the_last_row_of_a_repeated_corpus_id():
    # mteb looks candidates up in {id: row}, so the later row of "right" is the one scored
    corpus = np.array([[1, 0], [0, 1], [0.9, 0.1]], np.float32)
    data = subset(
        ["q"],
        ["right", "right", "wrong"],
        {"q": {"right": 1, "wrong": 0}},
        candidates={"q": ["right", "wrong", "right"]},
    )
    embedder = array_embedder({"q": np.array([[1, 0]], np.float32), "c": corpus})
    got = evaluate_multiple_choice(
        spec("multiple_choice", "accuracy"), RetrievalData({"default": data}), embedder
    )["default"]
    assert got["accuracy"] == 0.0


# -- candidate lists on a plain retrieval task ---------------------------------------------


def test_a_plain_task_with_candidates_reranks_them_only():
    """mteb's rerank mode (research E3): q1's candidates miss its relevant document, q2
    finds it, q3 has no list (an empty run, scored 0); 3 queries in the mean."""
    corpus = np.eye(3, dtype=np.float32)
    queries = np.eye(3, dtype=np.float32)
    qrels = {"q1": {"d1": 1}, "q2": {"d2": 1}, "q3": {"d3": 1}}
    data = subset(
        ["q1", "q2", "q3"],
        ["d1", "d2", "d3"],
        qrels,
        candidates={"q1": ["d2", "d3"], "q2": ["d1", "d2"]},
    )
    got = evaluate_retrieval(
        spec(), RetrievalData({"default": data}), array_embedder({"q": queries, "c": corpus})
    )["default"]
    assert got["ndcg_at_10"] == pytest.approx(0.33333)
    run = {"q1": {"d2": 0.0, "d3": 0.0}, "q2": {"d2": 1.0, "d1": 0.0}, "q3": {}}
    assert without_main(got) == retrieval_metrics(qrels, run, KS)
