"""Exact nearest-neighbour search over embeddings, in bounded memory.

Retrieval scores every query against every document and keeps each query's best k. Done
naively that is an (n_queries x n_docs) matrix: 400 GB for 100,000 queries against a
million documents. Here the work is tiled over query chunks and corpus chunks, and each
query chunk keeps only a running top k, so memory is about
`query_chunk x corpus_chunk` scores plus the (n_queries x k) answer.

The result is a well-defined function of the scores: the first k documents in the order
(score descending, `tie_rank` ascending). Pass `tie_rank` to choose how exact ties are
broken (retrieval passes the trec_eval rule, document id descending); without it, the
lower corpus row wins. Ties straddling the k-th place are settled exactly, whatever the
chunking or device, so a run never depends on how the work was tiled.

Similarity: "cosine" L2-normalises both sides, "dot" uses the raw vectors; inputs are
upcast to float32 and scores are computed in float32, like mteb.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch

Similarity = Literal["cosine", "dot"]

DEFAULT_QUERY_CHUNK = 1024
DEFAULT_CORPUS_CHUNK = 65536
_LOW_32 = 0xFFFFFFFF


def top_k(
    queries: np.ndarray,
    corpus: np.ndarray,
    k: int,
    similarity: Similarity = "cosine",
    *,
    query_chunk: int = DEFAULT_QUERY_CHUNK,
    corpus_chunk: int = DEFAULT_CORPUS_CHUNK,
    device: str | torch.device | None = None,
    tie_rank: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each query's k best corpus rows: (scores float32 (nq, k'), rows int64 (nq, k')).

    k' = min(k, n_corpus). Rows are ordered by score descending, then `tie_rank`
    ascending (a permutation of range(n_corpus); default: the row number). `device`
    defaults to `runtime.resolve_device(None)`; evaluators always pass the embedder's
    device. Embeddings must be finite (evaluators check them with `check_embeddings` first).
    """
    q, c = _prepare(queries, corpus, similarity)
    n_q, n_c = q.shape[0], c.shape[0]
    _check_positive(k=k, query_chunk=query_chunk, corpus_chunk=corpus_chunk)
    ranks = _tie_ranks(tie_rank, n_c)
    k_out = min(k, n_c)
    out_scores = np.empty((n_q, k_out), dtype=np.float32)
    out_rows = np.empty((n_q, k_out), dtype=np.int64)
    if n_q == 0 or k_out == 0:
        return out_scores, out_rows

    dev = _device(device)
    corpus_t = torch.as_tensor(c, device=dev)
    ranks_t = torch.as_tensor(ranks, device=dev)
    # One extra place shows whether a tie straddles the k-th place.
    k_fetch = min(k_out + 1, n_c)
    for start in range(0, n_q, query_chunk):
        q_t = torch.as_tensor(q[start : start + query_chunk], device=dev)
        scores, rows = _scan(q_t, corpus_t, k_fetch, corpus_chunk, None)
        if k_fetch > k_out:
            straddling = scores[:, k_out - 1] == scores[:, k_out]
            if bool(straddling.any()):
                _settle_boundary(q_t, corpus_t, ranks_t, corpus_chunk, scores, rows, straddling)
        scores, rows = scores[:, :k_out].cpu().numpy(), rows[:, :k_out].cpu().numpy()
        _order_ties(scores, rows, ranks)
        out_scores[start : start + len(scores)] = scores
        out_rows[start : start + len(rows)] = rows
    return out_scores, out_rows


def top_k_among(
    queries: np.ndarray,
    corpus: np.ndarray,
    candidates: Sequence[Sequence[int]],
    k: int,
    similarity: Similarity = "cosine",
    *,
    pair_chunk: int = 1 << 14,
    device: str | torch.device | None = None,
    tie_rank: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Like `top_k`, but query i is scored only against corpus rows `candidates[i]`.

    For multiple-choice tasks, where each question has its own few answer options.
    Returns (scores float32 (nq, m), rows int64 (nq, m)) with m = min(k, longest
    candidate list); a query with fewer candidates is padded with score -inf and row -1
    at the end. Repeated candidates of a query count once.
    """
    q, c = _prepare(queries, corpus, similarity)
    n_q, n_c = q.shape[0], c.shape[0]
    _check_positive(k=k, pair_chunk=pair_chunk)
    if len(candidates) != n_q:
        raise ValueError(f"{len(candidates)} candidate lists for {n_q} queries")
    ranks = _tie_ranks(tie_rank, n_c)
    lists = [list(dict.fromkeys(int(r) for r in cand)) for cand in candidates]
    flat = np.fromiter((r for cand in lists for r in cand), dtype=np.int64)
    if flat.size and (flat.min() < 0 or flat.max() >= n_c):
        raise ValueError(f"candidate rows must lie in [0, {n_c}), got {flat.min()}..{flat.max()}")
    lengths = np.fromiter((len(cand) for cand in lists), dtype=np.int64, count=n_q)
    owner = np.repeat(np.arange(n_q, dtype=np.int64), lengths)
    pair_scores = _pair_scores(q, c, owner, flat, pair_chunk, _device(device))

    width = int(lengths.max()) if n_q else 0
    rows = np.full((n_q, width), -1, dtype=np.int64)
    scores = np.full((n_q, width), -np.inf, dtype=np.float32)
    slot = np.arange(flat.size, dtype=np.int64) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows[owner, slot] = flat
    scores[owner, slot] = pair_scores
    padded_rank = np.where(rows >= 0, ranks[np.maximum(rows, 0)], np.iinfo(np.int64).max)
    order = np.lexsort((padded_rank, -scores), axis=1)
    m = min(k, width)
    return (
        np.take_along_axis(scores, order, axis=1)[:, :m],
        np.take_along_axis(rows, order, axis=1)[:, :m],
    )


def _prepare(
    queries: np.ndarray, corpus: np.ndarray, similarity: Similarity
) -> tuple[np.ndarray, np.ndarray]:
    q = np.ascontiguousarray(queries, dtype=np.float32)
    c = np.ascontiguousarray(corpus, dtype=np.float32)
    if q.ndim != 2 or c.ndim != 2:
        raise ValueError(f"queries and corpus must be 2-D, got {q.shape} and {c.shape}")
    if q.shape[1] != c.shape[1]:
        raise ValueError(f"query dimension {q.shape[1]} != corpus dimension {c.shape[1]}")
    if similarity == "cosine":
        return _unit_rows(q), _unit_rows(c)
    if similarity == "dot":
        return q, c
    raise ValueError(f"similarity must be 'cosine' or 'dot', got {similarity!r}")


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, np.float32(1e-12))


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")


def _tie_ranks(tie_rank: np.ndarray | None, n: int) -> np.ndarray:
    if tie_rank is None:
        return np.arange(n, dtype=np.int64)
    ranks = np.asarray(tie_rank, dtype=np.int64)
    if ranks.shape != (n,) or not np.array_equal(np.sort(ranks), np.arange(n)):
        raise ValueError(f"tie_rank must be a permutation of range({n})")
    if n > _LOW_32:
        raise ValueError(f"tie_rank supports at most {_LOW_32} documents")
    return ranks


def _device(device: str | torch.device | None) -> torch.device:
    from pytest_mieb.runtime import resolve_device

    return torch.device(resolve_device(None) if device is None else device)


def _scan(
    q: torch.Tensor,
    corpus: torch.Tensor,
    k: int,
    corpus_chunk: int,
    ranks: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Running top k of q against the whole corpus, one corpus chunk at a time.

    With `ranks`, chunks are compared by exact (score, -rank) keys; otherwise by score,
    leaving the choice among tied scores to torch.
    """
    # Reused scratch space: a fresh (query_chunk x corpus_chunk) block per chunk would cost
    # a page fault per 4 KiB every time, which adds up to a third of the run time.
    width = min(corpus_chunk, corpus.shape[0])
    sims_space = torch.empty(q.shape[0] * width, dtype=q.dtype, device=q.device)
    mask_space = torch.empty(q.shape[0] * width, dtype=torch.bool, device=q.device)
    best_vals = best_rows = None
    for start in range(0, corpus.shape[0], corpus_chunk):
        chunk = corpus[start : start + corpus_chunk]
        sims = sims_space[: q.shape[0] * chunk.shape[0]].view(q.shape[0], chunk.shape[0])
        torch.mm(q, chunk.T, out=sims)
        vals = sims if ranks is None else _tie_keys(sims, ranks[start : start + corpus_chunk])
        full = best_vals is None or best_vals.shape[1] < k
        mask = mask_space[: vals.numel()].view(vals.shape)
        found = None if full else _above(vals, best_vals[:, -1:], start, mask)
        if found is None:
            vals, local = torch.topk(vals, min(k, vals.shape[1]), dim=1)
            found = vals, local + start
        vals, rows = found
        if vals.shape[1] == 0:
            continue
        if best_vals is not None:
            vals = torch.cat([best_vals, vals], dim=1)
            rows = torch.cat([best_rows, rows], dim=1)
            vals, pick = torch.topk(vals, min(k, vals.shape[1]), dim=1)
            rows = torch.gather(rows, 1, pick)
        best_vals, best_rows = vals, rows
    assert best_vals is not None and best_rows is not None
    if ranks is not None:
        best_vals = _scores_of_keys(best_vals)
    return best_vals, best_rows


def _above(
    vals: torch.Tensor, floor: torch.Tensor, start: int, keep: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The chunk entries that can still change a full running top k: those above its k-th.

    Once a few chunks are in, only a small share of each new chunk survives, and gathering
    the survivors is far cheaper than a top-k selection over the whole chunk. An entry equal
    to the k-th cannot change the kept values, and which of several tied rows is kept is
    settled by `_settle_boundary`. Returns the survivors padded per query (value -inf or
    the int minimum, row -1), or None when too many survive.
    """
    torch.gt(vals, floor, out=keep)
    if int(keep.count_nonzero()) * 4 > keep.numel():
        return None
    which, col = torch.nonzero(keep, as_tuple=True)
    counts = torch.bincount(which, minlength=vals.shape[0])
    width = int(counts.max())
    if width * 4 > vals.shape[1]:
        return None
    slot = (
        torch.arange(which.numel(), device=vals.device) - (torch.cumsum(counts, 0) - counts)[which]
    )
    lowest = -torch.inf if vals.is_floating_point() else torch.iinfo(vals.dtype).min
    out_vals = torch.full((vals.shape[0], width), lowest, dtype=vals.dtype, device=vals.device)
    out_rows = torch.full((vals.shape[0], width), -1, dtype=torch.int64, device=vals.device)
    out_vals[which, slot] = vals[which, col]
    out_rows[which, slot] = col + start
    return out_vals, out_rows


def _settle_boundary(
    q: torch.Tensor,
    corpus: torch.Tensor,
    ranks: torch.Tensor,
    corpus_chunk: int,
    scores: torch.Tensor,
    rows: torch.Tensor,
    straddling: torch.Tensor,
) -> None:
    """Redo, with exact tie keys, the queries whose k-th and (k+1)-th scores are equal."""
    which = torch.nonzero(straddling).flatten()
    for part in torch.split(which, 256):
        exact_scores, exact_rows = _scan(q[part], corpus, scores.shape[1], corpus_chunk, ranks)
        scores[part] = exact_scores
        rows[part] = exact_rows


def _tie_keys(sims: torch.Tensor, ranks: torch.Tensor) -> torch.Tensor:
    """int64 keys ordered like (score, -rank): the float's bits above, the rank below."""
    bits = (sims + 0.0).view(torch.int32)  # + 0.0 turns -0.0 into +0.0: they compare equal
    ordered = torch.where(bits < 0, bits ^ 0x7FFFFFFF, bits).to(torch.int64)
    return ordered * (1 << 32) + (_LOW_32 - ranks)


def _scores_of_keys(keys: torch.Tensor) -> torch.Tensor:
    ordered = torch.div(keys, 1 << 32, rounding_mode="floor").to(torch.int32)
    bits = torch.where(ordered < 0, ordered ^ 0x7FFFFFFF, ordered)
    return bits.view(torch.float32)


def _order_ties(scores: np.ndarray, rows: np.ndarray, ranks: np.ndarray) -> None:
    """Within each row of the answer, put equal scores in tie_rank order (in place)."""
    if scores.shape[1] < 2:
        return
    tied = np.flatnonzero((scores[:, 1:] == scores[:, :-1]).any(axis=1))
    if tied.size == 0:
        return
    sub_scores, sub_rows = scores[tied], rows[tied]
    order = np.lexsort((ranks[sub_rows], -sub_scores), axis=1)
    scores[tied] = np.take_along_axis(sub_scores, order, axis=1)
    rows[tied] = np.take_along_axis(sub_rows, order, axis=1)


def _pair_scores(
    q: np.ndarray,
    c: np.ndarray,
    q_rows: np.ndarray,
    c_rows: np.ndarray,
    chunk: int,
    device: torch.device,
) -> np.ndarray:
    out = np.empty(q_rows.size, dtype=np.float32)
    q_t = torch.as_tensor(q, device=device)
    c_t = torch.as_tensor(c, device=device)
    for start in range(0, q_rows.size, chunk):
        qi = torch.as_tensor(q_rows[start : start + chunk], device=device)
        ci = torch.as_tensor(c_rows[start : start + chunk], device=device)
        out[start : start + qi.numel()] = (q_t[qi] * c_t[ci]).sum(dim=1).cpu().numpy()
    return out
