"""Deterministic smoke subsets (`limit`): same seed, same rows, on every machine.

Rows are returned in their original order; the `Inputs` of a subset come from
`Inputs.subset`, whose key carries the rows digest, so cached embeddings of a subset never
pass for those of the full data.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from pytest_mieb.data.containers import RetrievalSubset


def stratified_rows(labels: Sequence[Any], limit: int, seed: int) -> list[int]:
    """At most `limit` rows, spread as evenly as possible over the labels.

    Each label's rows are shuffled with one seeded generator, then labels take turns (in
    sorted label order) giving their next row until `limit` rows are chosen. A multi-label
    row (list of labels) counts under its first label.
    """
    n = len(labels)
    if limit >= n:
        return list(range(n))
    strata: dict[Hashable, list[int]] = {}
    for row, label in enumerate(labels):
        strata.setdefault(_stratum(label), []).append(row)
    rng = np.random.default_rng(seed)
    queues = []
    for key in _sorted_keys(strata):
        rows = np.asarray(strata[key], dtype=np.int64)
        rng.shuffle(rows)
        queues.append(rows.tolist())
    chosen: list[int] = []
    depth = 0
    while len(chosen) < limit:
        for queue in queues:
            if depth < len(queue):
                chosen.append(queue[depth])
                if len(chosen) == limit:
                    break
        depth += 1
    return sorted(chosen)


def random_rows(n: int, limit: int, seed: int) -> list[int]:
    """`limit` of `n` rows drawn uniformly without replacement (all rows if fewer)."""
    if limit >= n:
        return list(range(n))
    rng = np.random.default_rng(seed)
    return sorted(int(i) for i in rng.choice(n, size=limit, replace=False))


def limit_retrieval(subset: RetrievalSubset, limit: int, seed: int) -> RetrievalSubset:
    """At most `limit` queries, and a corpus that still holds every document they judge.

    The corpus keeps the sampled queries' judged documents (relevant or not, so multiple
    choice candidates survive), any document whose id equals a sampled query id (the query
    image itself in skip-first-result tasks), then a seeded sample of the other documents
    until the corpus has `limit` documents (or all of its judged ones, if more).
    """
    query_rows = random_rows(len(subset.query_ids), limit, seed)
    query_ids = [subset.query_ids[i] for i in query_rows]
    needed: set[str] = set(query_ids)
    for qid in query_ids:
        needed.update(subset.qrels.get(qid, {}))
        if subset.candidates is not None:
            needed.update(subset.candidates.get(qid, ()))
    keep = [i for i, doc in enumerate(subset.corpus_ids) if doc in needed]
    others = [i for i, doc in enumerate(subset.corpus_ids) if doc not in needed]
    room = max(0, limit - len(keep))
    if room and others:
        picked = random_rows(len(others), room, seed + 1)
        keep.extend(others[i] for i in picked)
    corpus_rows = sorted(keep)
    if len(query_rows) == len(subset.query_ids) and len(corpus_rows) == len(subset.corpus_ids):
        return subset
    chosen = set(query_ids)
    return RetrievalSubset(
        query_ids=query_ids,
        queries=subset.queries.subset(query_rows),
        corpus_ids=[subset.corpus_ids[i] for i in corpus_rows],
        corpus=subset.corpus.subset(corpus_rows),
        qrels={q: dict(d) for q, d in subset.qrels.items() if q in chosen},
        candidates=None
        if subset.candidates is None
        else {q: list(c) for q, c in subset.candidates.items() if q in chosen},
    )


def _stratum(label: Any) -> Hashable:
    if isinstance(label, list | tuple):
        return label[0] if label else None
    return label


def _sorted_keys(strata: dict[Hashable, list[int]]) -> list[Hashable]:
    try:
        return sorted(strata)  # type: ignore[type-var]
    except TypeError:
        return sorted(strata, key=repr)
