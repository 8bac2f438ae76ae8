"""Retrieval-family protocols: Any2AnyRetrieval, Any2AnyMultilingualRetrieval,
DocumentUnderstanding (ViDoRe) and the multiple-choice VisionCentricQA tasks.

Per subset: embed the queries (side "query") and the corpus (side "document", texts
stripped), keep each query's best `top_k_retrieved` documents by the embedder's similarity
(multiple choice, or a dataset with candidate lists: rank only the query's own candidates;
a late-interaction model's token vectors by MaxSim as mteb scores them,
`pytest_mieb.metrics.maxsim`),
and score the run with trec_eval semantics (`pytest_mieb.metrics.retrieval`). Queries
without judgements are dropped before anything is embedded, as mteb's loader drops them.
Repeated query or corpus ids are merged as mteb merges them
(`pytest_mieb.evaluators.retrieval_ids`, which also says where that depends on mteb's heap
order and which rule is used here).

Task params read (types and defaults: `pytest_mieb.tasks.protocols`): `k_values`,
`top_k_retrieved`, `skip_first_result`, `ignore_identical_ids`.

Exact ties are broken by document id, descending, everywhere: in which documents make the
cut and in their order. For `skip_first_result` the dropped document is therefore the
first in that order; mteb drops the first by score alone, which among exactly tied top
scores depends on its heap layout (see `pytest_mieb.metrics.retrieval.retrieval_metrics`).

Per-item values (inside `collect_per_item`): every metric's per-query vector, per subset.
Their plain means equal the reported metrics up to the 5-decimal rounding mteb applies to
all but ``mrr_at_k``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pytest_mieb.data.containers import RetrievalData, RetrievalSubset
from pytest_mieb.embed.multivector import MultiVectors
from pytest_mieb.evaluators.base import (
    Embedder,
    SubsetScores,
    checked,
    report_per_item,
)
from pytest_mieb.evaluators.retrieval_ids import (
    document_inputs,
    merge_copies,
    merge_queries,
    representative_rows,
)
from pytest_mieb.metrics.maxsim import maxsim_among, maxsim_top_k, padding_floor
from pytest_mieb.metrics.retrieval import (
    build_judgements,
    check_k_values,
    filter_run,
    mean_retrieval_metrics,
    score_ranked_runs_per_query,
)
from pytest_mieb.metrics.topk import top_k, top_k_among
from pytest_mieb.tasks.spec import TaskSpec


@dataclass(frozen=True)
class RetrievalSettings:
    k_values: tuple[int, ...]
    top_k: int
    skip_first_result: bool
    ignore_identical_ids: bool

    @classmethod
    def from_spec(cls, spec: TaskSpec) -> RetrievalSettings:
        params = spec.params
        k_values = check_k_values(params["k_values"])
        top = int(params["top_k_retrieved"])
        if top < 1:
            raise ValueError(f"{spec.name}: top_k_retrieved must be >= 1, got {top}")
        return cls(
            k_values=k_values,
            top_k=top,
            skip_first_result=bool(params["skip_first_result"]),
            ignore_identical_ids=bool(params["ignore_identical_ids"]),
        )


def evaluate_retrieval(spec: TaskSpec, data: RetrievalData, embedder: Embedder) -> SubsetScores:
    """Full-corpus retrieval, one score dict per subset ("default" when monolingual).

    A subset with candidate lists (a hub `top_ranked` config) is reranked instead: each
    query is scored only against its own candidates, as mteb reranks such a dataset.
    """
    settings = RetrievalSettings.from_spec(spec)
    return {
        name: _evaluate_subset(
            spec, name, subset, embedder, settings, restricted=subset.candidates is not None
        )
        for name, subset in data.subsets.items()
    }


def evaluate_multiple_choice(
    spec: TaskSpec, data: RetrievalData, embedder: Embedder
) -> SubsetScores:
    """Each query ranks only `subset.candidates[query_id]`; main score `accuracy` = recall@1.

    A query without a candidate list gets an empty run and scores 0, as in mteb.
    """
    settings = RetrievalSettings.from_spec(spec)
    return {
        name: _evaluate_subset(spec, name, subset, embedder, settings, restricted=True)
        for name, subset in data.subsets.items()
    }


def _evaluate_subset(
    spec: TaskSpec,
    name: str,
    subset: RetrievalSubset,
    embedder: Embedder,
    settings: RetrievalSettings,
    *,
    restricted: bool,
) -> dict[str, float]:
    where = spec.name if name == "default" else f"{spec.name} [{name}]"
    query_ids = _string_ids(where, "query", subset.query_ids, len(subset.queries))
    corpus_ids = _string_ids(where, "corpus", subset.corpus_ids, len(subset.corpus))
    kept = [i for i, qid in enumerate(query_ids) if subset.qrels.get(qid)]
    if not kept:
        raise ValueError(f"{where}: no query has relevance judgements")
    if len(corpus_ids) == 0:
        raise ValueError(f"{where}: the corpus is empty")
    kept_ids = [query_ids[i] for i in kept]
    queries = subset.queries if len(kept) == len(query_ids) else subset.queries.subset(kept)

    query_emb = checked(
        where, "query", embedder.embed(queries, side="query", subset=name), n_rows=len(kept)
    )
    corpus_emb = checked(
        where,
        "corpus",
        embedder.embed(document_inputs(subset.corpus), side="document", subset=name),
        n_rows=len(corpus_ids),
        dim=query_emb.shape[1],
    )

    doc_rows = representative_rows(corpus_ids, last=restricted)
    tie_rank = _descending_id_ranks(corpus_ids)
    if isinstance(query_emb, MultiVectors) and restricted:
        # mteb reranks candidates as rows of the whole corpus encoded in one padded tensor
        hit_scores, rows = maxsim_among(
            query_emb, corpus_emb, _candidate_rows(where, subset, kept_ids, doc_rows),
            settings.top_k, padding_floor(corpus_emb, chunk=max(1, len(corpus_ids))),
            tie_rank=tie_rank, device=embedder.device,
        )  # fmt: skip
    elif isinstance(query_emb, MultiVectors):
        hit_scores, rows = maxsim_top_k(
            query_emb, corpus_emb, settings.top_k, padding_floor(corpus_emb),
            tie_rank=tie_rank, device=embedder.device,
        )  # fmt: skip
        hit_scores, rows = merge_copies(hit_scores, rows, corpus_ids, doc_rows)
    elif restricted:
        candidates = _candidate_rows(where, subset, kept_ids, doc_rows)
        hit_scores, rows = top_k_among(
            query_emb, corpus_emb, candidates, settings.top_k, embedder.similarity,
            tie_rank=tie_rank, device=embedder.device,
        )  # fmt: skip
    else:
        hit_scores, rows = top_k(
            query_emb, corpus_emb, settings.top_k, embedder.similarity, tie_rank=tie_rank,
            device=embedder.device,
        )  # fmt: skip
        hit_scores, rows = merge_copies(hit_scores, rows, corpus_ids, doc_rows)
    run_ids, rows = merge_queries(kept_ids, hit_scores, rows, tie_rank, settings.top_k)
    excluded = None
    if settings.ignore_identical_ids:
        excluded = np.asarray([doc_rows.get(qid, -1) for qid in run_ids], dtype=np.int64)
    rows = filter_run(rows, skip_first_result=settings.skip_first_result, excluded_rows=excluded)

    judged = build_judgements([subset.qrels[qid] for qid in run_ids], doc_rows, settings.k_values)
    per_query = score_ranked_runs_per_query(rows, judged)
    scores = mean_retrieval_metrics(per_query, judged.k_values)
    for metric, values in per_query.items():
        report_per_item(name, metric, values)
    if spec.main_score not in scores:
        raise ValueError(
            f"{where}: main score {spec.main_score!r} is not a retrieval metric "
            f"(k_values {list(settings.k_values)})"
        )
    scores["main_score"] = scores[spec.main_score]
    return scores


def _string_ids(where: str, what: str, ids: Sequence[object], n_inputs: int) -> list[str]:
    """Ids as strings (qrels are keyed by strings), one per input; repeats are merged later
    (`pytest_mieb.evaluators.retrieval_ids`)."""
    as_str = [str(i) for i in ids]
    if len(as_str) != n_inputs:
        raise ValueError(f"{where}: {len(as_str)} {what} ids for {n_inputs} {what} inputs")
    return as_str


def _descending_id_ranks(ids: Sequence[str]) -> np.ndarray:
    """Rank 0 for the largest id: trec_eval prefers the larger id among equal scores."""
    order = sorted(range(len(ids)), key=ids.__getitem__, reverse=True)
    ranks = np.empty(len(ids), dtype=np.int64)
    ranks[order] = np.arange(len(ids), dtype=np.int64)
    return ranks


def _candidate_rows(
    where: str, subset: RetrievalSubset, query_ids: Sequence[str], doc_rows: dict[str, int]
) -> list[list[int]]:
    if subset.candidates is None:
        raise ValueError(f"{where}: multiple-choice data has no candidate lists")
    out = []
    for qid in query_ids:
        options = [str(doc) for doc in subset.candidates.get(qid, ())]
        unknown = [doc for doc in options if doc not in doc_rows]
        if unknown:
            raise ValueError(f"{where}: query {qid!r} has candidates not in the corpus: {unknown}")
        out.append([doc_rows[doc] for doc in options])
    return out
