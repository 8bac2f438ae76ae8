"""The brute-force oracle of the top-k search tests: the full similarity matrix in float64."""

from __future__ import annotations

import numpy as np


def brute_force_top_k(queries, corpus, k, similarity, tie_rank=None):
    """Each query's first k rows by (score desc, tie_rank asc; default: row number), with
    their float64 scores."""
    q = queries.astype(np.float64)
    c = corpus.astype(np.float64)
    if similarity == "cosine":
        q = q / np.linalg.norm(q, axis=1, keepdims=True)
        c = c / np.linalg.norm(c, axis=1, keepdims=True)
    full = q @ c.T
    ranks = np.arange(len(corpus)) if tie_rank is None else tie_rank
    order = np.lexsort((np.broadcast_to(ranks, full.shape), -full), axis=1)[:, :k]
    return np.take_along_axis(full, order, axis=1), order
