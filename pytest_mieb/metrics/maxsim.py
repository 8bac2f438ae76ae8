"""MaxSim (late-interaction) retrieval scores as mteb 2.26 computes them, in bounded memory.

MaxSim of a query and a document: for every query token, its best dot product with any
document token, summed over the query's tokens (ColBERT; ColPali and its kin).

mteb's ColPali-family wrappers score zero-padded tensors without a mask: every input is padded
with all-zero token vectors to the longest of its dataloader (for a corpus: of its chunk of
`MTEB_CORPUS_CHUNK` documents; a fused input's text and image halves each to their own
longest). A zero query row adds 0 to the sum, so query padding never matters; but a zero
document row is a candidate with similarity 0, so each query token's maximum is clipped at 0
for every document that is shorter than the longest of its chunk. `padding_floor` says which
documents those are, and the scorer applies the clip to exactly them; with
``doc_floor=None`` the scores are plain (masked) MaxSim.

Memory: queries and documents are both tiled. One tile compares `query_chunk` queries with as
many documents as keep the (query tokens x document tokens) similarity block within
`block_elements` floats; scores of one query tile against `score_chunk` documents at a time
are merged into a running top k. Nothing of size (queries x documents x tokens) is ever held.

Order as `pytest_mieb.metrics.topk.top_k`: score descending, then `tie_rank` ascending, exact
among equal scores. Scores are computed and summed in float32 as mteb does, every query
padded to the longest query as in mteb's one query tensor; the BLAS kernels a tile shape
picks may still move a score by its last bit (so may mteb's own 128 x 128 blocks).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import torch

from pytest_mieb.embed.multivector import MultiVectors

#: mteb's `SearchEncoderWrapper.corpus_chunk_size`: documents encoded (and padded) together.
MTEB_CORPUS_CHUNK = 50_000
DEFAULT_QUERY_CHUNK = 64
DEFAULT_BLOCK_ELEMENTS = 1 << 25  # 128 MiB of float32 similarities per tile
DEFAULT_SCORE_CHUNK = 8192


def padding_floor(docs: MultiVectors, chunk: int = MTEB_CORPUS_CHUNK) -> np.ndarray:
    """Per document: does mteb's tensor hold a zero padding row for it (bool (n,))?

    True when any of the document's parts is shorter than the longest such part among the
    documents of its corpus chunk (rows ``[c * chunk, (c + 1) * chunk)``).
    """
    parts = docs.parts
    out = np.zeros(len(parts), dtype=bool)
    for start in range(0, len(parts), chunk):
        block = parts[start : start + chunk]
        out[start : start + chunk] = (block < block.max(axis=0, keepdims=True)).any(axis=1)
    return out


def maxsim_scores(
    queries: MultiVectors,
    docs: MultiVectors,
    doc_floor: np.ndarray | None = None,
    *,
    device: str | torch.device = "cpu",
    block_elements: int = DEFAULT_BLOCK_ELEMENTS,
) -> np.ndarray:
    """The full (n_queries, n_docs) float32 score matrix (for small inputs and tests)."""
    scorer = _Scorer(docs, doc_floor, torch.device(device), block_elements)
    out = np.empty((len(queries), len(docs)), dtype=np.float32)
    width = _longest(queries)
    for start in range(0, len(queries), DEFAULT_QUERY_CHUNK):
        q = scorer.query_tile(queries[start : start + DEFAULT_QUERY_CHUNK], width)
        out[start : start + q.n] = scorer.scores(q, 0, len(docs)).cpu().numpy()
    return out


def maxsim_top_k(
    queries: MultiVectors,
    docs: MultiVectors,
    k: int,
    doc_floor: np.ndarray | None = None,
    *,
    tie_rank: np.ndarray | None = None,
    device: str | torch.device = "cpu",
    query_chunk: int = DEFAULT_QUERY_CHUNK,
    score_chunk: int = DEFAULT_SCORE_CHUNK,
    block_elements: int = DEFAULT_BLOCK_ELEMENTS,
) -> tuple[np.ndarray, np.ndarray]:
    """Each query's k best documents: (scores float32 (nq, k'), rows int64 (nq, k')), k' =
    min(k, n_docs), ordered by score descending then `tie_rank` ascending (default: row)."""
    if k < 1 or query_chunk < 1 or score_chunk < 1:
        raise ValueError("k, query_chunk and score_chunk must be >= 1")
    n_q, n_d = len(queries), len(docs)
    ranks = np.arange(n_d, dtype=np.int64) if tie_rank is None else np.asarray(tie_rank)
    if ranks.shape != (n_d,):
        raise ValueError(f"tie_rank must have one rank per document ({n_d})")
    k_out = min(k, n_d)
    out_scores = np.empty((n_q, k_out), dtype=np.float32)
    out_rows = np.empty((n_q, k_out), dtype=np.int64)
    if n_q == 0 or k_out == 0:
        return out_scores, out_rows
    scorer = _Scorer(docs, doc_floor, torch.device(device), block_elements)
    width = _longest(queries)
    for q_start in range(0, n_q, query_chunk):
        q = scorer.query_tile(queries[q_start : q_start + query_chunk], width)
        best_s = np.empty((q.n, 0), dtype=np.float32)
        best_r = np.empty((q.n, 0), dtype=np.int64)
        for d_start in range(0, n_d, score_chunk):
            d_end = min(n_d, d_start + score_chunk)
            chunk = scorer.scores(q, d_start, d_end).cpu().numpy()
            rows = np.broadcast_to(np.arange(d_start, d_end, dtype=np.int64), chunk.shape)
            best_s, best_r = _merge(
                np.concatenate([best_s, chunk], axis=1),
                np.concatenate([best_r, rows], axis=1),
                ranks,
                k_out,
            )
        out_scores[q_start : q_start + q.n] = best_s
        out_rows[q_start : q_start + q.n] = best_r
    return out_scores, out_rows


def maxsim_among(
    queries: MultiVectors,
    docs: MultiVectors,
    candidates: Sequence[Sequence[int]],
    k: int,
    doc_floor: np.ndarray | None = None,
    *,
    tie_rank: np.ndarray | None = None,
    device: str | torch.device = "cpu",
) -> tuple[np.ndarray, np.ndarray]:
    """Like `pytest_mieb.metrics.topk.top_k_among`: query i scored only against
    `candidates[i]` (repeats count once); (scores (nq, m), rows (nq, m)), m = min(k, longest
    list), shorter lists padded with score -inf and row -1 at the end.

    mteb reranks a query's candidates as rows of the whole corpus encoded in one tensor, so
    pass ``padding_floor(docs, chunk=len(docs))`` for its scores.
    """
    if len(candidates) != len(queries):
        raise ValueError(f"{len(candidates)} candidate lists for {len(queries)} queries")
    ranks = np.arange(len(docs), dtype=np.int64) if tie_rank is None else np.asarray(tie_rank)
    lists = [list(dict.fromkeys(int(r) for r in cand)) for cand in candidates]
    width = max((len(c) for c in lists), default=0)
    m = min(k, width)
    out_scores = np.full((len(queries), m), -np.inf, dtype=np.float32)
    out_rows = np.full((len(queries), m), -1, dtype=np.int64)
    floor = None if doc_floor is None else np.asarray(doc_floor, dtype=bool)
    for i, rows in enumerate(lists):
        if not rows:
            continue
        if min(rows) < 0 or max(rows) >= len(docs):
            raise ValueError(f"candidate rows must lie in [0, {len(docs)}), got {rows}")
        picked = np.asarray(rows, dtype=np.int64)
        scores = maxsim_scores(
            queries[[i]], docs[picked], None if floor is None else floor[picked], device=device
        )[0]
        order = np.lexsort((ranks[picked], -scores))[:m]
        out_scores[i, : len(order)] = scores[order]
        out_rows[i, : len(order)] = picked[order]
    return out_scores, out_rows


def _merge(
    scores: np.ndarray, rows: np.ndarray, ranks: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the first k of (score descending, rank ascending), exact at the k-th place."""
    if scores.shape[1] > k:
        kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]
        keep = scores >= kth  # every entry tied with the k-th stays a candidate
        width = int(keep.sum(axis=1).max())
        order = np.argsort(~keep, axis=1, kind="stable")[:, :width]
        scores = np.take_along_axis(scores, order, axis=1)
        rows = np.take_along_axis(rows, order, axis=1)
        # A row with fewer candidates than `width` keeps some entries below its k-th score:
        # the sort below puts them after its (at least k) candidates, so none is returned.
    order = np.lexsort((ranks[rows], -scores), axis=1)[:, :k]
    return np.take_along_axis(scores, order, axis=1), np.take_along_axis(rows, order, axis=1)


class _QueryTile:
    """Queries zero-padded to (n, L, d), flattened to (n * L, d) token rows."""

    def __init__(self, tokens: torch.Tensor, n: int, length: int) -> None:
        self.tokens, self.n, self.length = tokens, n, length


class _Scorer:
    """Scores query tiles against document ranges, one bounded similarity block at a time."""

    def __init__(
        self,
        docs: MultiVectors,
        doc_floor: np.ndarray | None,
        device: torch.device,
        block_elements: int,
    ) -> None:
        if doc_floor is not None and np.asarray(doc_floor).shape != (len(docs),):
            raise ValueError(f"doc_floor must have one flag per document ({len(docs)})")
        self.docs = docs
        self.floor = None if doc_floor is None else np.asarray(doc_floor, dtype=bool)
        self.device = device
        self.block_elements = max(1, int(block_elements))
        self.lengths = docs.lengths
        self._space: torch.Tensor | None = None

    def _scratch(self, n: int) -> torch.Tensor:
        """`n` floats of reused space: a fresh block per tile would cost a page fault per
        4 KiB each time (a third of the CPU time at 10,000 pages)."""
        if self._space is None or self._space.numel() < n:
            self._space = torch.empty(
                max(n, self.block_elements), dtype=torch.float32, device=self.device
            )
        return self._space[:n]

    def query_tile(self, queries: MultiVectors, width: int) -> _QueryTile:
        """Queries padded to `width` tokens: the longest query of all, as mteb pads them in
        one tensor, so that a score never depends on which tile its query fell in."""
        if queries.dim != self.docs.dim and len(queries) and len(self.docs):
            raise ValueError(f"query dimension {queries.dim} != document dimension {self.docs.dim}")
        padded, _ = _pad(queries, self.device, width)
        n, length = padded.shape[0], padded.shape[1]
        return _QueryTile(padded.reshape(n * length, padded.shape[2]), n, length)

    def scores(self, q: _QueryTile, start: int, end: int) -> torch.Tensor:
        """(q.n, end - start) float32 scores of the tile against documents [start, end)."""
        out = torch.empty((q.n, end - start), dtype=torch.float32, device=self.device)
        q_rows = max(1, q.n * q.length)
        pos = start
        while pos < end:
            stop = self._block_end(pos, end, q_rows)
            out[:, pos - start : stop - start] = self._block(q, pos, stop)
            pos = stop
        return out

    def _block_end(self, pos: int, end: int, q_rows: int) -> int:
        """Grow the document block while (query rows x padded doc tokens) fits the budget."""
        budget = max(1, self.block_elements // q_rows)
        longest = 0
        stop = pos
        while stop < end:
            longest_next = max(longest, int(self.lengths[stop]))
            if stop > pos and (stop - pos + 1) * longest_next > budget:
                break
            longest, stop = longest_next, stop + 1
        return stop

    def _block(self, q: _QueryTile, pos: int, stop: int) -> torch.Tensor:
        docs, mask = _pad(self.docs[pos:stop], self.device)
        n_d, length = docs.shape[0], docs.shape[1]
        if length == 0 or q.length == 0:
            return torch.zeros((q.n, n_d), dtype=torch.float32, device=self.device)
        sims = self._scratch(q.tokens.shape[0] * n_d * length).view(q.tokens.shape[0], -1)
        torch.mm(q.tokens, docs.reshape(n_d * length, -1).T, out=sims)
        sims = sims.view(-1, n_d, length)
        if not bool(mask.all()):  # pages of one length (ColPali) have no padding to mask
            sims.masked_fill_(~mask[None], float("-inf"))
        best = sims.amax(dim=2)  # (query tokens, docs)
        if self.floor is not None:
            floor = torch.as_tensor(self.floor[pos:stop], device=self.device)
            best = torch.where(floor[None], best.clamp_min(0.0), best)
        # Query padding rows are zero vectors: their best is 0 with a floor, or a real dot
        # product of 0 otherwise; mteb adds those zeros too, so they are summed, not masked.
        best = torch.nan_to_num(best, neginf=0.0)  # a document without tokens scores 0
        # Summed over the last, contiguous axis, as mteb's `amax(dim=3).sum(dim=2)` sums.
        return best.view(q.n, q.length, n_d).transpose(1, 2).contiguous().sum(dim=2)


def _longest(vectors: MultiVectors) -> int:
    return int(vectors.lengths.max()) if len(vectors) else 0


def _pad(
    vectors: MultiVectors, device: torch.device, width: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """(n, L, d) zero-padded float32 tokens and the (n, L) mask of real ones, on `device`;
    L = `width`, or the longest item."""
    lengths = vectors.lengths
    n, length = len(vectors), _longest(vectors) if width is None else width
    with warnings.catch_warnings():  # read-only arrays: the tensor is only read, then copied
        warnings.simplefilter("ignore", UserWarning)
        data = torch.as_tensor(np.ascontiguousarray(vectors.data), device=device)
    out = torch.zeros((n, length, vectors.dim), dtype=torch.float32, device=device)
    lengths_t = torch.as_tensor(lengths, device=device)
    mask = torch.arange(length, device=device)[None] < lengths_t[:, None]
    out[mask] = data.float()
    return out, mask
