"""MaxSim (late-interaction) retrieval: time and peak memory of scoring token matrices.

Realistic shapes for ColPali-style document retrieval: pages of 1,030 token vectors (ColPali's
1,024 image tokens + its prompt), queries of 15-25 tokens, dim 128, top-100. The default case
is small (1,000 pages x 50 queries); the issue's case, 10,000 pages x 1,000 queries (5.3 GB
of page vectors), is opt-in:

    MIEB_BENCH_FULL=1 pytest benchmarks/bench_maxsim.py -p no:cacheprovider -k full

or as a plain script that prints wall time and peak memory (RSS; on CUDA also the device's):

    python benchmarks/bench_maxsim.py --pages 10000 --queries 1000 [--device cuda]

The scorer holds one (query tile x document tile) similarity block of at most
`DEFAULT_BLOCK_ELEMENTS` floats, so its peak above the inputs does not grow with the corpus.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np
import pytest

from pytest_mieb.embed.multivector import MultiVectors
from pytest_mieb.metrics.maxsim import maxsim_top_k, padding_floor

DIM = 128
PAGE_TOKENS = 1030
K = 100
FULL = os.environ.get("MIEB_BENCH_FULL") == "1"


def token_bags(n: int, lengths: np.ndarray, seed: int) -> MultiVectors:
    """n random unit-norm token matrices, packed without an intermediate list."""
    rng = np.random.default_rng(seed)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    data = np.empty((int(offsets[-1]), DIM), dtype=np.float32)
    step = 1 << 16
    for start in range(0, len(data), step):
        block = rng.standard_normal((min(step, len(data) - start), DIM), dtype=np.float32)
        data[start : start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return MultiVectors(data, offsets, lengths.astype(np.int64)[:, None]).frozen()


def pages_and_queries(n_pages: int, n_queries: int) -> tuple[MultiVectors, MultiVectors]:
    pages = token_bags(n_pages, np.full(n_pages, PAGE_TOKENS), seed=1)
    query_lengths = np.random.default_rng(2).integers(15, 26, n_queries)
    return pages, token_bags(n_queries, query_lengths, seed=3)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def score(pages: MultiVectors, queries: MultiVectors, device: str = "cpu"):
    return maxsim_top_k(queries, pages, K, padding_floor(pages), device=device)


def test_maxsim_1000_pages_50_queries(benchmark) -> None:
    pages, queries = pages_and_queries(1_000, 50)
    before = peak_rss_mib()
    scores, rows = benchmark.pedantic(score, args=(pages, queries), rounds=1, iterations=1)
    benchmark.extra_info["peak_rss_mib_inputs"] = before
    benchmark.extra_info["peak_rss_mib"] = peak_rss_mib()
    assert rows.shape == (50, K) and (np.diff(scores, axis=1) <= 0).all()


@pytest.mark.skipif(not FULL, reason="full-scale case is opt-in: set MIEB_BENCH_FULL=1")
def test_full_maxsim_10000_pages_1000_queries(benchmark) -> None:
    pages, queries = pages_and_queries(10_000, 1_000)
    before = peak_rss_mib()
    _, rows = benchmark.pedantic(score, args=(pages, queries), rounds=1, iterations=1)
    benchmark.extra_info["peak_rss_mib_inputs"] = before
    benchmark.extra_info["peak_rss_mib"] = peak_rss_mib()
    assert rows.shape == (1_000, K)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    start = time.perf_counter()
    pages, queries = pages_and_queries(args.pages, args.queries)
    inputs_gib = (pages.nbytes + queries.nbytes) / 2**30
    print(f"inputs: {inputs_gib:.2f} GiB in {time.perf_counter() - start:.1f} s; "
          f"peak RSS {peak_rss_mib():,.0f} MiB")  # fmt: skip
    if args.device.startswith("cuda"):
        import torch

        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    _, rows = score(pages, queries, args.device)
    wall = time.perf_counter() - start
    line = (
        f"scored {rows.shape[0]} x {args.pages} in {wall:.1f} s; peak RSS {peak_rss_mib():,.0f} MiB"
    )
    if args.device.startswith("cuda"):
        import torch

        line += f"; peak CUDA allocated {torch.cuda.max_memory_allocated() / 2**20:,.0f} MiB"
    print(line)


if __name__ == "__main__":
    main()
