"""Loaders for BEIR-style retrieval repos (`beir`) and the ViDoRe copies (`vidore`).

BEIR: configs `corpus`, `queries` (or `query` when that config exists) and qrels in
`default` (else `qrels`); optional `instruction` (query-id, instruction) and `top_ranked`
(query-id, corpus-ids) configs. Each config's split is the eval split if present, else its
only split. `_id` serves as `id`; ids become strings, qrels scores ints, grouped per query;
queries without qrels are dropped. Document text = `title + " " + text` stripped when a
title is non-empty, else `text` stripped; query text = `text` (+ " " + instruction).

Keys read: `params.query_modalities` / `params.corpus_modalities` (default: the letters
of `category`, e.g. "it2t" -> image+text queries, text documents), `protocol`
("multiple_choice" gives each query its judged documents as `candidates`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_mieb.data.columns import image_inputs, maybe_subset, where
from pytest_mieb.data.containers import Inputs, RetrievalData, RetrievalSubset
from pytest_mieb.data.errors import DataError
from pytest_mieb.data.images import ImageColumn
from pytest_mieb.data.schema import (
    column_values,
    first_present,
    pick_split,
    require_configs,
    require_layout,
)
from pytest_mieb.data.source import DataSource
from pytest_mieb.tasks.spec import TaskSpec


def side_modalities(spec: TaskSpec, side: str) -> tuple[str, ...]:
    """Modalities encoded on one side ("query" or "corpus") of a retrieval task (left out of
    the suite: the category's letters, filled in by the protocol table)."""
    return tuple(str(m) for m in spec.params[f"{side}_modalities"])


def group_qrels(
    query_ids: Sequence[Any], corpus_ids: Sequence[Any], scores: Sequence[Any]
) -> dict[str, dict[str, int]]:
    """{query: {doc: int score}} with string ids, in first-seen order."""
    qrels: dict[str, dict[str, int]] = {}
    for qid, did, score in zip(query_ids, corpus_ids, scores, strict=True):
        qrels.setdefault(str(qid), {})[str(did)] = int(score)
    return qrels


def document_text(title: Any, text: Any) -> str:
    body = "" if text is None else str(text)
    if title:
        return f"{title} {body}".strip()
    return body.strip()


def load_beir(spec: TaskSpec, src: DataSource, limit: int | None) -> RetrievalData:
    configs = src.configs()
    query_config = "query" if "query" in configs else "queries"
    qrels_config = "qrels" if "default" not in configs and "qrels" in configs else "default"
    require_configs(src, configs, ["corpus", query_config, qrels_config])
    query_mods, corpus_mods = side_modalities(spec, "query"), side_modalities(spec, "corpus")

    corpus_all = src.load("corpus")
    queries_all = src.load(query_config)
    qrels_all = src.load(qrels_config)
    c_split = pick_split(src, corpus_all, spec.eval_split, "corpus")
    q_split = pick_split(src, queries_all, spec.eval_split, query_config)
    r_split = pick_split(src, qrels_all, spec.eval_split, qrels_config)
    corpus, queries, qrels_ds = corpus_all[c_split], queries_all[q_split], qrels_all[r_split]
    c_id = first_present(corpus.column_names, ("id", "_id")) or "id"
    q_id = first_present(queries.column_names, ("id", "_id")) or "id"
    require_layout(src, corpus_all, {c_split: [c_id, *corpus_mods]}, "corpus")
    require_layout(src, queries_all, {q_split: [q_id, *query_mods]}, query_config)
    require_layout(src, qrels_all, {r_split: ["query-id", "corpus-id", "score"]}, qrels_config)

    qrels = group_qrels(
        column_values(qrels_ds, "query-id"),
        column_values(qrels_ds, "corpus-id"),
        column_values(qrels_ds, "score"),
    )
    query_text = "text" in query_mods
    instructions = _instructions(src, spec, configs, queries) if query_text else None
    all_query_ids = [str(q) for q in column_values(queries, q_id)]
    kept = [i for i, q in enumerate(all_query_ids) if qrels.get(q)]
    query_ids = [all_query_ids[i] for i in kept]

    query_texts = _query_texts(queries, instructions) if query_text else None
    corpus_texts = _corpus_texts(corpus) if "text" in corpus_mods else None
    query_inputs = _side_inputs(src, queries, query_config, q_split, query_mods, query_texts)
    corpus_inputs = _side_inputs(src, corpus, "corpus", c_split, corpus_mods, corpus_texts)
    candidates = None
    if spec.protocol == "multiple_choice":
        ranked = _top_ranked(src, spec, configs)
        candidates = {q: list(ranked.get(q) or qrels[q]) for q in query_ids}
    subset = RetrievalSubset(
        query_ids=query_ids,
        queries=maybe_subset(query_inputs, kept, len(all_query_ids)),
        corpus_ids=[str(c) for c in column_values(corpus, c_id)],
        corpus=corpus_inputs,
        qrels={q: qrels[q] for q in query_ids},
        candidates=candidates,
    )
    return RetrievalData(subsets={"default": subset})


def load_vidore(spec: TaskSpec, src: DataSource, limit: int | None) -> RetrievalData:
    """ViDoRe: text queries (`query`) against page images; ids become
    'query-<split>-<query-id>' / 'corpus-<split>-<corpus-id>', relevance int(score)."""
    require_configs(src, src.configs(), ["queries", "corpus", "qrels"])
    queries_all, corpus_all, qrels_all = src.load("queries"), src.load("corpus"), src.load("qrels")
    q_split = pick_split(src, queries_all, spec.eval_split, "queries")
    c_split = pick_split(src, corpus_all, spec.eval_split, "corpus")
    r_split = pick_split(src, qrels_all, spec.eval_split, "qrels")
    require_layout(src, queries_all, {q_split: ["query-id", "query"]}, "queries")
    require_layout(src, corpus_all, {c_split: ["corpus-id", "image"]}, "corpus")
    require_layout(src, qrels_all, {r_split: ["query-id", "corpus-id", "score"]}, "qrels")
    queries, corpus, qrels_ds = queries_all[q_split], corpus_all[c_split], qrels_all[r_split]

    qrels = group_qrels(
        [f"query-{r_split}-{q}" for q in column_values(qrels_ds, "query-id")],
        [f"corpus-{r_split}-{c}" for c in column_values(qrels_ds, "corpus-id")],
        column_values(qrels_ds, "score"),
    )
    all_query_ids = [f"query-{q_split}-{q}" for q in column_values(queries, "query-id")]
    kept = [i for i, q in enumerate(all_query_ids) if qrels.get(q)]
    texts = Inputs(key=src.key("queries", q_split, "query"), texts=column_values(queries, "query"))
    subset = RetrievalSubset(
        query_ids=[all_query_ids[i] for i in kept],
        queries=maybe_subset(texts, kept, len(all_query_ids)),
        corpus_ids=[f"corpus-{c_split}-{c}" for c in column_values(corpus, "corpus-id")],
        corpus=image_inputs(src, corpus, "corpus", c_split, "image"),
        qrels={all_query_ids[i]: qrels[all_query_ids[i]] for i in kept},
    )
    return RetrievalData(subsets={"default": subset})


# -- helpers ---------------------------------------------------------------------------


def _side_inputs(
    src: DataSource,
    dataset: Any,
    config: str,
    split: str,
    modalities: Sequence[str],
    texts: tuple[str, list[str]] | None,
) -> Inputs:
    """One side's inputs: images, texts, or both fused (item k of each together)."""
    parts: list[str] = []
    images = None
    if "image" in modalities:
        images = ImageColumn(dataset, "image", where(src, config, split))
        parts.append("image")
    text_values = None
    if "text" in modalities:
        assert texts is not None
        label, text_values = texts
        parts.append(label)
    if images is None and text_values is None:
        raise DataError(f"{src.ref}: no image or text modality to encode for config {config!r}")
    return Inputs(key=src.key(config, split, "+".join(parts)), images=images, texts=text_values)


def _query_texts(queries: Any, instructions: dict[str, str] | None) -> tuple[str, list[str]] | None:
    if "text" not in queries.column_names:
        return None
    texts = [("" if t is None else str(t)) for t in column_values(queries, "text")]
    if "instruction" in queries.column_names:
        extra = column_values(queries, "instruction")
        return "text+instruction", [f"{t} {i}" for t, i in zip(texts, extra, strict=True)]
    if instructions:
        ids = [str(q) for q in column_values(queries, _id_column(queries))]
        return "text+instruction", [
            f"{t} {instructions[q]}" if q in instructions else t
            for t, q in zip(texts, ids, strict=True)
        ]
    return "text", texts


def _corpus_texts(corpus: Any) -> tuple[str, list[str]] | None:
    if "text" not in corpus.column_names:
        return None
    texts = column_values(corpus, "text")
    if "title" not in corpus.column_names:
        return "text", [document_text(None, t) for t in texts]
    titles = column_values(corpus, "title")
    return "title+text", [document_text(a, t) for a, t in zip(titles, texts, strict=True)]


def _instructions(
    src: DataSource, spec: TaskSpec, configs: Sequence[str], queries: Any
) -> dict[str, str] | None:
    if "instruction" not in configs or "instruction" in queries.column_names:
        return None
    loaded = src.load("instruction")
    split = pick_split(src, loaded, spec.eval_split, "instruction")
    require_layout(src, loaded, {split: ["query-id", "instruction"]}, "instruction")
    ds = loaded[split]
    return {
        str(q): str(i)
        for q, i in zip(
            column_values(ds, "query-id"), column_values(ds, "instruction"), strict=True
        )
    }


def _top_ranked(src: DataSource, spec: TaskSpec, configs: Sequence[str]) -> dict[str, list[str]]:
    if "top_ranked" not in configs:
        return {}
    loaded = src.load("top_ranked")
    split = pick_split(src, loaded, spec.eval_split, "top_ranked")
    require_layout(src, loaded, {split: ["query-id", "corpus-ids"]}, "top_ranked")
    ds = loaded[split]
    return {
        str(q): [str(c) for c in docs]
        for q, docs in zip(
            column_values(ds, "query-id"), column_values(ds, "corpus-ids"), strict=True
        )
    }


def _id_column(dataset: Any) -> str:
    return first_present(dataset.column_names, ("id", "_id")) or "id"
