"""What the reference does with retrieval data before and after ranking, beyond the ranking.

* Document texts are stripped of surrounding whitespace when they are encoded (mteb's
  `_corpus_to_dict` does it for every retrieval-type task, whatever the loader); query
  texts never are (`document_inputs`).
* Ids that repeat are merged, never refused (`merge_copies`, `merge_queries`):

  - a query id on several rows: every row is encoded and ranks the corpus; the id gets one
    run, the union of its rows' hits, and is evaluated once. mteb pushes all rows' hits
    into one heap per id and keeps, for a document found by several rows, the score of the
    entry that comes last in the heap's array order; here a document keeps its best score.
  - a corpus id on several rows: every row is encoded and ranked; the id appears once in
    the run. mteb keeps the score of the copy that comes last in its heap's array order
    (neither the first, the last nor the best copy: the better one in about 78% of random
    cases); here the best copy's score counts. In multiple-choice / candidate mode mteb
    looks candidates up by id in a dict, so the *last* row of the id is the one scored;
    that is exact here too (`representative_rows`).
  - the heap's cut at `top_k` counts repeated entries in mteb; here the cut counts each
    document once. Both only matter for documents ranked near `top_k` (1000 by default).

  qrels rows for the same (query, document) pair keep the later row's score, as mteb's
  `dict(zip(...))` does (`pytest_mieb.data.beir.group_qrels`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pytest_mieb.data.containers import Inputs

#: Marks the key of document texts that stripping changed (the contents differ, so must
#: the cache identity); placed before any "#rows" part so a subset never passes for a
#: slice of the unstripped parent.
STRIPPED = "(stripped)"


def document_inputs(corpus: Inputs) -> Inputs:
    """`corpus` with every text stripped; the same object when no text changes."""
    if corpus.texts is None:
        return corpus
    stripped = [text.strip() for text in corpus.texts]
    if all(a == b for a, b in zip(stripped, corpus.texts, strict=True)):
        return corpus
    base, sep, rows = corpus.key.partition("#")
    return Inputs(key=f"{base}{STRIPPED}{sep}{rows}", images=corpus.images, texts=stripped)


def representative_rows(ids: Sequence[str], *, last: bool) -> dict[str, int]:
    """id -> the row that stands for it: its first row (full search, where the best copy
    is kept anyway) or its last (candidate lists, looked up by id as mteb does)."""
    rows: dict[str, int] = {}
    for row, doc in enumerate(ids):
        if last or doc not in rows:
            rows[doc] = row
    return rows


def merge_copies(
    scores: np.ndarray, rows: np.ndarray, ids: Sequence[str], doc_rows: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Ranked runs with every corpus row replaced by its id's representative row and each
    document kept once, at its best (first) place. Unchanged when no id repeats."""
    if len(doc_rows) == len(ids):
        return scores, rows
    canonical = np.asarray([doc_rows[doc] for doc in ids], dtype=np.int64)
    mapped = np.where(rows >= 0, canonical[np.maximum(rows, 0)], -1)
    out_rows = np.full_like(mapped, -1)
    out_scores = np.full_like(scores, -np.inf)
    for i in range(mapped.shape[0]):
        seen: set[int] = set()
        slot = 0
        for score, row in zip(scores[i], mapped[i], strict=True):
            if row < 0 or int(row) in seen:
                continue
            seen.add(int(row))
            out_rows[i, slot], out_scores[i, slot] = row, score
            slot += 1
    return out_scores, out_rows


def merge_queries(
    query_ids: Sequence[str],
    scores: np.ndarray,
    rows: np.ndarray,
    tie_rank: np.ndarray,
    top_k: int,
) -> tuple[list[str], np.ndarray]:
    """(distinct query ids in first-seen order, one ranked run each): the runs of rows
    sharing an id are pooled, each document at its best score, ordered by score then
    `tie_rank`, cut at `top_k`. Unchanged when no id repeats."""
    groups: dict[str, list[int]] = {}
    for position, qid in enumerate(query_ids):
        groups.setdefault(qid, []).append(position)
    if len(groups) == len(query_ids):
        return list(query_ids), rows
    runs: list[list[int]] = []
    for positions in groups.values():
        best: dict[int, float] = {}
        for position in positions:
            for score, row in zip(scores[position], rows[position], strict=True):
                if row >= 0 and float(score) > best.get(int(row), -np.inf):
                    best[int(row)] = float(score)
        order = sorted(best, key=lambda r: (-np.float32(best[r]), tie_rank[r]))
        runs.append(order[:top_k])
    width = max((len(run) for run in runs), default=0)
    merged = np.full((len(runs), width), -1, dtype=np.int64)
    for i, run in enumerate(runs):
        merged[i, : len(run)] = run
    return list(groups), merged
