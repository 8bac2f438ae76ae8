"""evaluate_retrieval / evaluate_multiple_choice with a fake embedder and hand-built data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from evaluator_fakes import array_embedder, make_subset, task_spec

from pytest_mieb.data.containers import RetrievalData
from pytest_mieb.evaluators import get_evaluator
from pytest_mieb.evaluators.retrieval import evaluate_multiple_choice, evaluate_retrieval
from pytest_mieb.metrics.retrieval import retrieval_metrics
from pytest_mieb.results.task_score import task_score
from pytest_mieb.tasks.spec import TaskSpec


def make_spec(main_score="ndcg_at_10", protocol="retrieval", **params) -> TaskSpec:
    return task_spec(
        "FakeRetrieval",
        "Any2AnyRetrieval",
        protocol,
        main_score,
        "fake/retrieval",
        "0" * 40,
        params=params,
    )


def random_problem(seed: int, n_queries=20, n_docs=60, dim=8, tag="default"):
    rng = np.random.default_rng(seed)
    query_ids = [f"q{i}" for i in range(n_queries)]
    corpus_ids = [f"d{i:03d}" for i in range(n_docs)]
    qrels = {
        qid: {corpus_ids[j]: int(rng.integers(0, 3)) for j in rng.choice(n_docs, 4, replace=False)}
        for qid in query_ids
    }
    subset = make_subset(query_ids, corpus_ids, qrels, tag=tag)
    arrays = {
        subset.queries.key: rng.normal(size=(n_queries, dim)).astype(np.float32),
        subset.corpus.key: rng.normal(size=(n_docs, dim)).astype(np.float32),
    }
    return subset, arrays


def brute_force_run(subset, arrays, top, similarity="cosine", exclude_self=False):
    q = arrays[subset.queries.key].astype(np.float64)
    c = arrays[subset.corpus.key].astype(np.float64)
    if similarity == "cosine":
        q = q / np.linalg.norm(q, axis=1, keepdims=True)
        c = c / np.linalg.norm(c, axis=1, keepdims=True)
    full = (q @ c.T).astype(np.float32)
    run = {}
    for i, qid in enumerate(subset.query_ids):
        docs = [
            (float(full[i, j]), d)
            for j, d in enumerate(subset.corpus_ids)
            if not (exclude_self and d == qid)
        ]
        run[qid] = {d: s for s, d in sorted(docs, reverse=True)[:top]}
    return run


def without_main(scores):
    return {k: v for k, v in scores.items() if k != "main_score"}


@pytest.mark.parametrize("similarity", ["cosine", "dot"])
def test_equals_metrics_of_brute_force_run(similarity):
    subset, arrays = random_problem(0)
    spec = make_spec(k_values=[1, 3, 5, 10, 20, 100], top_k_retrieved=30)
    got = evaluate_retrieval(
        spec, RetrievalData({"default": subset}), array_embedder(arrays, similarity)
    )
    expected = retrieval_metrics(
        subset.qrels, brute_force_run(subset, arrays, 30, similarity), (1, 3, 5, 10, 20, 100)
    )
    assert list(got) == ["default"]
    assert without_main(got["default"]) == expected
    assert got["default"]["main_score"] == expected["ndcg_at_10"]


def test_registered_for_both_protocols():
    assert get_evaluator("retrieval") is evaluate_retrieval
    assert get_evaluator("multiple_choice") is evaluate_multiple_choice


def test_prompt_types_and_one_embedding_per_side():
    subset, arrays = random_problem(1)
    embedder = array_embedder(arrays)
    evaluate_retrieval(make_spec(), RetrievalData({"default": subset}), embedder)
    assert embedder.requests == [("default/queries", "query"), ("default/corpus", "document")]


def test_unjudged_queries_are_dropped_before_embedding():
    subset, arrays = random_problem(2, n_queries=5)
    subset.qrels["q1"] = {}
    del subset.qrels["q3"]
    kept_key = subset.queries.subset([0, 2, 4]).key
    arrays[kept_key] = arrays.pop(subset.queries.key)[[0, 2, 4]]
    embedder = array_embedder(arrays)
    got = evaluate_retrieval(make_spec(), RetrievalData({"default": subset}), embedder)
    assert embedder.requests[0] == (kept_key, "query")
    judged = {q: subset.qrels[q] for q in ("q0", "q2", "q4")}
    kept = make_subset(list(judged), subset.corpus_ids, judged)
    kept_arrays = {kept.queries.key: arrays[kept_key], kept.corpus.key: arrays[kept.corpus.key]}
    full_run = brute_force_run(kept, kept_arrays, 1000)
    assert without_main(got["default"]) == retrieval_metrics(
        judged, full_run, (1, 3, 5, 10, 20, 100, 1000)
    )


def self_retrieval_problem(seed=3):
    """i2i: every query image is also in the corpus under the same id, plus same-class docs."""
    rng = np.random.default_rng(seed)
    classes = np.repeat(np.arange(4), 5)
    centres = rng.normal(size=(4, 6)) * 3
    corpus = (centres[classes] + rng.normal(size=(20, 6))).astype(np.float32)
    ids = [f"img{i:02d}" for i in range(20)]
    query_rows = [0, 6, 12, 18]
    qrels = {
        ids[r]: {ids[j]: 1 for j in range(20) if classes[j] == classes[r] and j != r}
        for r in query_rows
    }
    subset = make_subset([ids[r] for r in query_rows], ids, qrels)
    arrays = {subset.queries.key: corpus[query_rows], subset.corpus.key: corpus}
    return subset, arrays


def test_skip_first_result_drops_the_query_itself():
    subset, arrays = self_retrieval_problem()
    data = RetrievalData({"default": subset})
    ks = (1, 3, 5, 10)
    got = evaluate_retrieval(
        make_spec(k_values=ks, skip_first_result=True), data, array_embedder(arrays)
    )
    run = brute_force_run(subset, arrays, 20, exclude_self=True)
    assert without_main(got["default"]) == retrieval_metrics(subset.qrels, run, ks)
    plain = evaluate_retrieval(make_spec(k_values=ks), data, array_embedder(arrays))
    assert plain["default"]["hit_rate_at_1"] == 0.0  # the query itself (not relevant) is first
    assert got["default"]["hit_rate_at_1"] > 0.0


def test_ignore_identical_ids_removes_documents_named_like_the_query():
    subset, arrays = self_retrieval_problem()
    data = RetrievalData({"default": subset})
    ks = (1, 3, 5, 10)
    skipped = evaluate_retrieval(
        make_spec(k_values=ks, skip_first_result=True), data, array_embedder(arrays)
    )
    ignored = evaluate_retrieval(
        make_spec(k_values=ks, ignore_identical_ids=True), data, array_embedder(arrays)
    )
    assert ignored == skipped


def test_each_language_subset_is_its_own_problem():
    en, en_arrays = random_problem(4, tag="en")
    de, de_arrays = random_problem(5, n_queries=7, n_docs=30, tag="de")
    embedder = array_embedder({**en_arrays, **de_arrays})
    spec = make_spec()
    got = evaluate_retrieval(spec, RetrievalData({"en": en, "de": de}), embedder)
    alone_en = evaluate_retrieval(spec, RetrievalData({"default": en}), array_embedder(en_arrays))
    alone_de = evaluate_retrieval(spec, RetrievalData({"default": de}), array_embedder(de_arrays))
    assert got == {"en": alone_en["default"], "de": alone_de["default"]}
    assert task_score(got) == pytest.approx(
        (alone_en["default"]["ndcg_at_10"] + alone_de["default"]["ndcg_at_10"]) / 2
    )


def test_main_score_follows_the_spec_and_must_exist():
    subset, arrays = random_problem(6)
    data = RetrievalData({"default": subset})
    got = evaluate_retrieval(make_spec(main_score="map_at_5"), data, array_embedder(arrays))
    assert got["default"]["main_score"] == got["default"]["map_at_5"]
    with pytest.raises(ValueError, match="ndcg_at_7"):
        evaluate_retrieval(make_spec(main_score="ndcg_at_7"), data, array_embedder(arrays))


def test_top_k_retrieved_caps_the_run():
    subset, arrays = random_problem(7)
    data = RetrievalData({"default": subset})
    got = evaluate_retrieval(
        make_spec(main_score="recall_at_1", k_values=[1, 50], top_k_retrieved=1),
        data,
        array_embedder(arrays),
    )["default"]
    assert got["recall_at_50"] == got["recall_at_1"]
    assert set(got) == {
        "ndcg_at_1", "ndcg_at_50", "map_at_1", "map_at_50", "recall_at_1", "recall_at_50",
        "accuracy", "precision_at_1", "precision_at_50", "mrr_at_1", "mrr_at_50",
        "hit_rate_at_1", "hit_rate_at_50", "main_score",
    }  # fmt: skip


def test_exact_ties_rank_the_larger_document_id_first():
    # All documents score the same, so the order is doc-c, doc-b, doc-a; with k=1 only
    # doc-c makes the cut, although doc-a comes first in the corpus.
    corpus_ids = ["doc-a", "doc-c", "doc-b"]
    arrays = {
        "default/queries": np.ones((2, 3), np.float32),
        "default/corpus": np.ones((3, 3), np.float32),
    }
    qrels = {"q-top": {"doc-c": 1}, "q-mid": {"doc-b": 1}}
    subset = make_subset(["q-top", "q-mid"], corpus_ids, qrels)
    data = RetrievalData({"default": subset})
    got = evaluate_retrieval(
        make_spec(main_score="mrr_at_3", k_values=[1, 3]), data, array_embedder(arrays)
    )["default"]
    assert got["mrr_at_3"] == (1 + 1 / 2) / 2
    assert got["ndcg_at_3"] == round((1 + 1 / math.log2(3)) / 2, 5)
    cut = evaluate_retrieval(
        make_spec(main_score="mrr_at_3", k_values=[1, 3], top_k_retrieved=1),
        data,
        array_embedder(arrays),
    )["default"]
    assert cut["recall_at_3"] == 0.5


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("nan", "NaN"),
        ("narrow_corpus", "dimension"),
        ("short_queries", "rows"),
        ("no_judgements", "no query has relevance judgements"),
    ],
)
def test_refuses_bad_inputs(change, message):
    subset, arrays = random_problem(8, n_queries=4, n_docs=10)
    if change == "nan":
        arrays["default/corpus"][3, 1] = np.nan
    elif change == "narrow_corpus":
        arrays["default/corpus"] = arrays["default/corpus"][:, :5]
    elif change == "short_queries":
        arrays["default/queries"] = arrays["default/queries"][:3]
    elif change == "no_judgements":
        subset = make_subset(subset.query_ids, subset.corpus_ids, {})
    with pytest.raises(ValueError, match=message) as err:
        evaluate_retrieval(make_spec(), RetrievalData({"default": subset}), array_embedder(arrays))
    assert "FakeRetrieval" in str(err.value)


# ---- multiple choice ----------------------------------------------------------------


def choice_problem(candidates):
    """Query i looks like e0; 'best' (not a candidate) is e0 itself, 'right' is close to
    it, 'wrong' is orthogonal and 'twin-a'/'twin-b' equal 'right'."""
    corpus_ids = ["best", "right", "wrong", "twin-a", "twin-b"]
    corpus = np.array(
        [[1, 0, 0], [1, 0.2, 0], [0, 1, 0], [1, 0.2, 0], [1, 0.2, 0]], dtype=np.float32
    )
    query_ids = list(candidates)
    qrels = {
        q: {d: int(d.startswith("right") or d == "twin-b") for d in cands}
        for q, cands in candidates.items()
    }
    subset = make_subset(query_ids, corpus_ids, qrels, candidates=candidates)
    arrays = {
        subset.queries.key: np.tile(np.array([[1, 0, 0]], np.float32), (len(query_ids), 1)),
        subset.corpus.key: corpus,
    }
    return subset, arrays


def test_multiple_choice_ranks_only_the_candidates():
    subset, arrays = choice_problem({"q1": ["right", "wrong"], "q2": ["wrong", "right"]})
    data = RetrievalData({"default": subset})
    spec = make_spec(main_score="accuracy", protocol="multiple_choice")
    got = evaluate_multiple_choice(spec, data, array_embedder(arrays))["default"]
    assert got["accuracy"] == got["recall_at_1"] == got["main_score"] == 1.0
    qrels_with_best = {q: {**j, "best": 0} for q, j in subset.qrels.items()}
    full = make_subset(subset.query_ids, subset.corpus_ids, qrels_with_best)
    assert evaluate_retrieval(spec, RetrievalData({"default": full}), array_embedder(arrays))[
        "default"
    ]["accuracy"] == 0.0  # fmt: skip


def test_multiple_choice_ties_go_to_the_larger_id():
    # twin-a and twin-b score the same; the correct one, twin-b, has the larger id.
    subset, arrays = choice_problem({"q1": ["twin-a", "twin-b", "wrong"]})
    spec = make_spec(main_score="accuracy", protocol="multiple_choice")
    got = evaluate_multiple_choice(spec, RetrievalData({"default": subset}), array_embedder(arrays))
    assert got["default"]["accuracy"] == 1.0
    # "right" ties with "twin-a", and "twin-a" > "right", so the wrong option leads.
    subset, arrays = choice_problem({"q1": ["right", "twin-a"]})
    got = evaluate_multiple_choice(spec, RetrievalData({"default": subset}), array_embedder(arrays))
    assert got["default"]["accuracy"] == 0.0
    assert got["default"]["mrr_at_3"] == 0.5


def test_multiple_choice_query_without_candidates_scores_zero():
    subset, arrays = choice_problem({"q1": ["right", "wrong"], "q2": ["right", "wrong"]})
    del subset.candidates["q2"]
    spec = make_spec(main_score="accuracy", protocol="multiple_choice")
    got = evaluate_multiple_choice(spec, RetrievalData({"default": subset}), array_embedder(arrays))
    assert got["default"]["accuracy"] == 0.5


def test_multiple_choice_needs_known_candidates():
    spec = make_spec(main_score="accuracy", protocol="multiple_choice")
    subset, arrays = choice_problem({"q1": ["right", "elsewhere"]})
    subset.qrels["q1"] = {"right": 1}
    with pytest.raises(ValueError, match="elsewhere"):
        evaluate_multiple_choice(spec, RetrievalData({"default": subset}), array_embedder(arrays))
    subset, arrays = choice_problem({"q1": ["right"]})
    no_lists = make_subset(subset.query_ids, subset.corpus_ids, subset.qrels)
    with pytest.raises(ValueError, match="candidate lists"):
        evaluate_multiple_choice(spec, RetrievalData({"default": no_lists}), array_embedder(arrays))


def test_top_k_runs_on_the_embedders_device_not_on_cuda_by_itself(monkeypatch):
    """One device decision per item: a CPU embedder keeps top-k on the CPU even where CUDA
    is available (here faked: a tensor sent to CUDA on this machine would fail)."""
    import torch

    from pytest_mieb.metrics import topk as search

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    asked: list[object] = []
    real_device = search._device
    monkeypatch.setattr(
        search, "_device", lambda device: asked.append(device) or real_device(device)
    )
    subset, arrays = random_problem(3)
    plain = make_spec(main_score="ndcg_at_5", k_values=[1, 5])
    got = evaluate_retrieval(plain, RetrievalData({"default": subset}), array_embedder(arrays))
    assert math.isfinite(got["default"]["main_score"])
    choices, choice_arrays = choice_problem({"q1": ["right", "wrong"], "q2": ["wrong", "right"]})
    multiple = make_spec(main_score="accuracy", protocol="multiple_choice")
    evaluate_multiple_choice(
        multiple, RetrievalData({"default": choices}), array_embedder(choice_arrays)
    )
    assert asked == ["cpu", "cpu"]  # never None, so never "cuda if available"


def test_the_embedders_named_device_reaches_the_search(monkeypatch):
    import pytest_mieb.evaluators.retrieval as retrieval

    seen: list[object] = []
    real_top_k, real_among = retrieval.top_k, retrieval.top_k_among

    def spy(real):
        def call(*args, device, **kwargs):
            seen.append(device)
            return real(*args, device="cpu", **kwargs)

        return call

    monkeypatch.setattr(retrieval, "top_k", spy(real_top_k))
    monkeypatch.setattr(retrieval, "top_k_among", spy(real_among))
    subset, arrays = random_problem(4)
    embedder = array_embedder(arrays)
    embedder.device = "cuda:3"  # the GPU xdist gave this worker
    evaluate_retrieval(
        make_spec("ndcg_at_1", k_values=[1]), RetrievalData({"default": subset}), embedder
    )
    choices, choice_arrays = choice_problem({"q1": ["right", "wrong"]})
    embedder = array_embedder(choice_arrays)
    embedder.device = "cuda:3"
    multiple = make_spec(main_score="accuracy", protocol="multiple_choice")
    evaluate_multiple_choice(multiple, RetrievalData({"default": choices}), embedder)
    assert seen == ["cuda:3", "cuda:3"]
