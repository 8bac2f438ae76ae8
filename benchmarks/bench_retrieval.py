"""Exact top-k retrieval: time as the corpus grows, and the full-scale memory bound.

Default runs are small: 1,000 random queries against 10k / 50k / 200k random documents
(dim 64, k = 1000 as in MIEB), plus trec-style scoring of the resulting runs.
The full case, 100,000 queries against 1,000,000 documents, is opt-in:

    MIEB_BENCH_FULL=1 pytest benchmarks/bench_retrieval.py -p no:cacheprovider -k full

or, as a plain script that prints wall time and peak RSS per phase:

    python benchmarks/bench_retrieval.py --queries 100000 --docs 1000000
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
import pytest

from pytest_mieb.metrics.retrieval import build_judgements, score_ranked_runs
from pytest_mieb.metrics.topk import top_k

DIM = 64
K = 1000
FULL = os.environ.get("MIEB_BENCH_FULL") == "1"


def random_embeddings(n: int, seed: int, dim: int = DIM) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim), dtype=np.float32)


def one_relevant_doc_each(n_queries: int, n_docs: int, seed: int = 7):
    """A qrels layout like the caption->image tasks: one relevant document per query."""
    targets = np.random.default_rng(seed).integers(0, n_docs, n_queries)
    doc_rows = {str(i): i for i in range(n_docs)}
    return build_judgements([{str(t): 1} for t in targets], doc_rows, (1, 3, 5, 10, 20, 100, K))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


@pytest.mark.parametrize("n_docs", [10_000, 50_000, 200_000])
def test_search_time_by_corpus_size(benchmark, n_docs: int) -> None:
    queries = random_embeddings(1_000, seed=1)
    corpus = random_embeddings(n_docs, seed=2)
    scores, rows = benchmark(top_k, queries, corpus, K, "cosine", device="cpu")
    assert rows.shape == (1_000, K)
    assert (np.diff(scores, axis=1) <= 0).all()


def test_scoring_time_of_runs(benchmark) -> None:
    n_queries, n_docs = 5_000, 50_000
    rows = np.stack(
        [np.random.default_rng(i).choice(n_docs, K, replace=False) for i in range(n_queries)]
    )
    judged = one_relevant_doc_each(n_queries, n_docs)
    scores = benchmark(score_ranked_runs, rows, judged)
    assert 0.0 <= scores["ndcg_at_10"] <= 1.0


@pytest.mark.skipif(not FULL, reason="full-scale case is opt-in: set MIEB_BENCH_FULL=1")
def test_full_scale_million_docs(benchmark) -> None:
    queries = random_embeddings(100_000, seed=1)
    corpus = random_embeddings(1_000_000, seed=2)
    inputs_rss = peak_rss_mib()
    _, rows = benchmark.pedantic(top_k, args=(queries, corpus, K, "cosine"), rounds=1, iterations=1)
    benchmark.extra_info["peak_rss_mib_before"] = inputs_rss
    benchmark.extra_info["peak_rss_mib"] = peak_rss_mib()
    assert rows.shape == (100_000, K)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=DIM)
    parser.add_argument("--k", type=int, default=K)
    parser.add_argument("--device", default=None)
    args = parser.parse_args()

    queries = random_embeddings(args.queries, seed=1, dim=args.dim)
    corpus = random_embeddings(args.docs, seed=2, dim=args.dim)
    print(f"{args.queries:,} queries x {args.docs:,} docs, dim {args.dim}, k {args.k}")
    print(f"inputs ready: peak RSS {peak_rss_mib():,.0f} MiB")

    start = time.perf_counter()
    _, rows = top_k(queries, corpus, args.k, "cosine", device=args.device)
    print(f"search: {time.perf_counter() - start:,.1f} s, peak RSS {peak_rss_mib():,.0f} MiB")

    judged = one_relevant_doc_each(args.queries, args.docs)
    start = time.perf_counter()
    scores = score_ranked_runs(rows, judged)
    print(f"scoring: {time.perf_counter() - start:,.1f} s, peak RSS {peak_rss_mib():,.0f} MiB")
    print(f"ndcg_at_10 {scores['ndcg_at_10']}, recall_at_1000 {scores[f'recall_at_{K}']}")


if __name__ == "__main__":
    main()
