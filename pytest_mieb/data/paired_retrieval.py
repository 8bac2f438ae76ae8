"""Retrieval built from paired image/caption rows: SciMMIR, HatefulMemes, Memotion.

Each row gives one image and one caption; a task retrieves captions from images (i2t)
or images from captions (t2i), chosen by `params.query_modalities` (or `category`). Ids
and corpus construction follow the catalogue's loader texts exactly:

- `scimmir`: eval split; query 'query-<split>-<row>', document 'corpus-<split>-<row>',
  diagonal qrels.
- `hateful_memes`: corpus = splits test, validation, train concatenated in that order and
  de-duplicated on `text` (first occurrence kept), ids 'corpus-<id>'; queries = eval split
  rows, ids 'query-<id>'; qrels query-<id> -> corpus-<id> (which may have been de-duplicated
  away, exactly as in mteb).
- `memotion`: every split (dataset order) without rows whose `text_corrected` is null;
  corpus = all of them, ids 'corpus-<split>-<i>' (i counted after filtering); queries = the
  eval split's rows, ids 'query-<split>-<i>'; text = `text_corrected`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_mieb.data.beir import side_modalities
from pytest_mieb.data.columns import image_inputs, maybe_subset, where
from pytest_mieb.data.containers import Inputs, RetrievalData, RetrievalSubset
from pytest_mieb.data.images import ImageColumn
from pytest_mieb.data.schema import column_values, require_layout
from pytest_mieb.data.source import DataSource
from pytest_mieb.tasks.spec import TaskSpec

HATEFUL_MEMES_CORPUS_SPLITS = ("test", "validation", "train")


def image_to_text(spec: TaskSpec) -> bool:
    """True for i2t tasks (image queries, text documents), False for t2i."""
    return "image" in side_modalities(spec, "query")


def load_scimmir(spec: TaskSpec, src: DataSource, limit: int | None) -> RetrievalData:
    split = spec.eval_split
    loaded = src.load()
    require_layout(src, loaded, {split: ["image", "text"]})
    ds = loaded[split]
    images = image_inputs(src, ds, None, split, "image")
    texts = Inputs(key=src.key(None, split, "text"), texts=column_values(ds, "text"))
    query_ids = [f"query-{split}-{i}" for i in range(len(ds))]
    corpus_ids = [f"corpus-{split}-{i}" for i in range(len(ds))]
    queries, corpus = (images, texts) if image_to_text(spec) else (texts, images)
    return _one_subset(query_ids, queries, corpus_ids, corpus, corpus_ids)


def load_hateful_memes(spec: TaskSpec, src: DataSource, limit: int | None) -> RetrievalData:
    from datasets import concatenate_datasets

    split = spec.eval_split
    loaded = src.load()
    needed = {key: ["id", "image", "text"] for key in [*HATEFUL_MEMES_CORPUS_SPLITS, split]}
    require_layout(src, loaded, needed)
    pooled_name = "+".join(HATEFUL_MEMES_CORPUS_SPLITS)
    pooled = concatenate_datasets([loaded[s] for s in HATEFUL_MEMES_CORPUS_SPLITS])
    pooled_texts = column_values(pooled, "text")
    seen: set[Any] = set()
    kept: list[int] = []
    for row, text in enumerate(pooled_texts):
        if text not in seen:
            seen.add(text)
            kept.append(row)
    pooled_ids = column_values(pooled, "id")
    corpus_ids = [f"corpus-{pooled_ids[i]}" for i in kept]

    queries_ds = loaded[split]
    row_ids = column_values(queries_ds, "id")
    query_ids = [f"query-{i}" for i in row_ids]
    relevant = [f"corpus-{i}" for i in row_ids]
    if image_to_text(spec):
        queries = image_inputs(src, queries_ds, None, split, "image")
        corpus_full = Inputs(key=src.key(None, pooled_name, "text"), texts=pooled_texts)
    else:
        queries = Inputs(key=src.key(None, split, "text"), texts=column_values(queries_ds, "text"))
        corpus_full = Inputs(
            key=src.key(None, pooled_name, "image"),
            images=ImageColumn(pooled, "image", where(src, None, pooled_name)),
        )
    corpus = maybe_subset(corpus_full, kept, len(pooled))
    return _one_subset(query_ids, queries, corpus_ids, corpus, relevant)


def load_memotion(spec: TaskSpec, src: DataSource, limit: int | None) -> RetrievalData:
    from datasets import concatenate_datasets

    split = spec.eval_split
    loaded = src.load()
    splits = list(loaded)
    require_layout(src, loaded, {key: ["image", "text_corrected"] for key in [*splits, split]})
    pooled_name = "+".join(splits)
    pooled = concatenate_datasets([loaded[s] for s in splits])
    kept: list[int] = []
    corpus_ids: list[str] = []
    eval_rows: list[int] = []
    offset = 0
    for name in splits:
        texts = column_values(loaded[name], "text_corrected")
        rows = [i for i, t in enumerate(texts) if t is not None]
        kept.extend(offset + i for i in rows)
        corpus_ids.extend(f"corpus-{name}-{j}" for j in range(len(rows)))
        if name == split:
            eval_rows = rows
        offset += len(texts)
    query_ids = [f"query-{split}-{j}" for j in range(len(eval_rows))]
    relevant = [f"corpus-{split}-{j}" for j in range(len(eval_rows))]

    eval_ds = loaded[split]
    n_eval = len(eval_ds)
    if image_to_text(spec):
        queries = image_inputs(src, eval_ds, None, split, "image")
        corpus_full = Inputs(
            key=src.key(None, pooled_name, "text_corrected"),
            texts=column_values(pooled, "text_corrected"),
        )
    else:
        queries = Inputs(
            key=src.key(None, split, "text_corrected"),
            texts=column_values(eval_ds, "text_corrected"),
        )
        corpus_full = Inputs(
            key=src.key(None, pooled_name, "image"),
            images=ImageColumn(pooled, "image", where(src, None, pooled_name)),
        )
    return _one_subset(
        query_ids,
        maybe_subset(queries, eval_rows, n_eval),
        corpus_ids,
        maybe_subset(corpus_full, kept, len(pooled)),
        relevant,
    )


def _one_subset(
    query_ids: Sequence[str],
    queries: Inputs,
    corpus_ids: Sequence[str],
    corpus: Inputs,
    relevant: Sequence[str],
) -> RetrievalData:
    """1:1 qrels: query k's only relevant document is `relevant[k]`."""
    qrels = {q: {d: 1} for q, d in zip(query_ids, relevant, strict=True)}
    return RetrievalData(
        subsets={
            "default": RetrievalSubset(
                query_ids=list(query_ids),
                queries=queries,
                corpus_ids=list(corpus_ids),
                corpus=corpus,
                qrels=qrels,
            )
        }
    )
