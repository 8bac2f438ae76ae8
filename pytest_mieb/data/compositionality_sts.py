"""Loaders for row-wise paired data: compositionality rows and visual STS pairs.

Keys read: compositionality `columns.image_columns` / `columns.text_columns` and
`params.source_split` (SugarCrepe reads its `train` split as the eval split); visual STS
`columns.image1` / `image2` / `score` (defaults sentence1 / sentence2 / score); the
`sts_subsets` loader reads `params.subtasks[0]` (`dataset`, `hf_subsets_used`,
`columns`, `eval_split`) for aggregates, else the task's own dataset, subsets and
columns; `params.seed` (default 42) seeds `limit`, a uniform sample of rows per subset.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_mieb.data.columns import image_inputs, maybe_subset, text_inputs
from pytest_mieb.data.containers import PairMatchingData, STSData, STSPairs
from pytest_mieb.data.errors import DataError
from pytest_mieb.data.sampling import random_rows
from pytest_mieb.data.schema import column_values, pick_split, require_configs, require_layout
from pytest_mieb.data.source import DataSource
from pytest_mieb.data.task_dataset import sts_subsets_plan
from pytest_mieb.tasks.spec import TaskSpec

IMAGECODE_IMAGE_COLUMNS = ("correct_image", *(f"false_image_{i}" for i in range(1, 10)))


def load_pair_matching(spec: TaskSpec, src: DataSource, limit: int | None) -> PairMatchingData:
    image_columns = [str(c) for c in spec.columns.get("image_columns", ())]
    text_columns = [str(c) for c in spec.columns.get("text_columns", ())]
    if not image_columns or not text_columns:
        raise DataError(f"{src.ref}: {spec.name} needs columns.image_columns and text_columns")
    split = str(spec.params["source_split"])
    loaded = src.load()
    require_layout(src, loaded, {split: [*image_columns, *text_columns]})
    dataset = loaded[split]
    images = [image_inputs(src, dataset, None, split, c) for c in image_columns]
    texts = [text_inputs(src.key(None, split, c), column_values(dataset, c)) for c in text_columns]
    if limit is not None:
        rows = random_rows(len(dataset), limit, _seed(spec))
        images = [maybe_subset(x, rows, len(dataset)) for x in images]
        texts = [maybe_subset(x, rows, len(dataset)) for x in texts]
    return PairMatchingData(image_columns=images, text_columns=texts)


def load_imagecode(spec: TaskSpec, src: DataSource, limit: int | None) -> PairMatchingData:
    """One caption x ten images per query: configs corpus / query / qrels.

    Each query's pool is the corpus ids its qrels list (qrels order); the score-1 id is the
    correct image, the first nine others are false_image_1..9.
    """
    require_configs(src, src.configs(), ["corpus", "query", "qrels"])
    corpus_all, query_all, qrels_all = src.load("corpus"), src.load("query"), src.load("qrels")
    c_split = pick_split(src, corpus_all, "corpus", "corpus")
    q_split = pick_split(src, query_all, spec.eval_split, "query")
    r_split = pick_split(src, qrels_all, spec.eval_split, "qrels")
    require_layout(src, corpus_all, {c_split: ["id", "image"]}, "corpus")
    require_layout(src, query_all, {q_split: ["id", "text"]}, "query")
    require_layout(src, qrels_all, {r_split: ["query-id", "corpus-id", "score"]}, "qrels")
    corpus, query, qrels = corpus_all[c_split], query_all[q_split], qrels_all[r_split]

    corpus_row = {str(cid): i for i, cid in enumerate(column_values(corpus, "id"))}
    pools: dict[str, list[str]] = {}
    correct: dict[str, str] = {}
    for qid, cid, score in zip(
        column_values(qrels, "query-id"),
        column_values(qrels, "corpus-id"),
        column_values(qrels, "score"),
        strict=True,
    ):
        pools.setdefault(str(qid), []).append(str(cid))
        if int(score) == 1:
            correct[str(qid)] = str(cid)

    query_ids = [str(q) for q in column_values(query, "id")]
    rows_per_column: list[list[int]] = [[] for _ in IMAGECODE_IMAGE_COLUMNS]
    for qid in query_ids:
        if qid not in correct:
            raise DataError(f"{src.ref}: ImageCoDe query {qid!r} has no score-1 qrels entry")
        false_ids = [c for c in pools[qid] if c != correct[qid]][:9]
        pool = [correct[qid], *false_ids]
        if len(pool) < len(IMAGECODE_IMAGE_COLUMNS):
            raise DataError(f"{src.ref}: ImageCoDe query {qid!r} has {len(pool)} images, not 10")
        unknown = [c for c in pool if c not in corpus_row]
        if unknown:
            raise DataError(f"{src.ref}: ImageCoDe query {qid!r} judges unknown ids {unknown}")
        for column_rows, cid in zip(rows_per_column, pool, strict=True):
            column_rows.append(corpus_row[cid])

    corpus_images = image_inputs(src, corpus, "corpus", c_split, "image")
    images = [corpus_images.subset(rows) for rows in rows_per_column]
    texts = text_inputs(src.key("query", q_split, "text"), column_values(query, "text"))
    if limit is not None:
        rows = random_rows(len(query_ids), limit, _seed(spec))
        images = [maybe_subset(x, rows, len(query_ids)) for x in images]
        texts = maybe_subset(texts, rows, len(query_ids))
    return PairMatchingData(image_columns=images, text_columns=[texts])


def load_visual_sts(spec: TaskSpec, src: DataSource, limit: int | None) -> STSData:
    loaded = src.load()
    pairs = _sts_pairs(src, loaded, None, spec.eval_split, spec.columns, limit, _seed(spec))
    return STSData(subsets={"default": pairs})


def load_sts_subsets(spec: TaskSpec, src: DataSource, limit: int | None) -> STSData:
    """One config per subset (`load_dataset(path, name=subset, revision=...)`)."""
    _, subsets, columns, split = sts_subsets_plan(spec)
    require_configs(src, src.configs(), subsets)
    return STSData(
        subsets={
            subset: _sts_pairs(src, src.load(subset), subset, split, columns, limit, _seed(spec))
            for subset in subsets
        }
    )


def _sts_pairs(
    src: DataSource,
    loaded: Any,
    config: str | None,
    split: str,
    columns: Mapping[str, Any],
    limit: int | None,
    seed: int,
) -> STSPairs:
    first = str(columns.get("image1", "sentence1"))
    second = str(columns.get("image2", "sentence2"))
    score = str(columns.get("score", "score"))
    require_layout(src, loaded, {split: [first, second, score]}, config)
    dataset = loaded[split]
    scores = [float(s) for s in column_values(dataset, score)]
    one = image_inputs(src, dataset, config, split, first)
    two = image_inputs(src, dataset, config, split, second)
    if limit is not None:
        rows = random_rows(len(scores), limit, seed)
        one, two = maybe_subset(one, rows, len(scores)), maybe_subset(two, rows, len(scores))
        scores = [scores[i] for i in rows]
    return STSPairs(first=one, second=two, scores=scores)


def _seed(spec: TaskSpec) -> int:
    return int(spec.params["seed"])
