"""Caption-to-image retrieval with one dataset split per language: WIT, XM3600, XFlickr30kCo.

Each language subset (`spec.subsets`, the split name) is its own retrieval problem: the
corpus is the split's images ('corpus-<image id>'); the queries are its captions.

- `wit` / `xm3600`: rows carry `image_id`, `image` and `captions` (a list); caption k of
  image X is query 'query-<X>-<k>', relevant to 'corpus-<X>' only.
- `xflickr30k_co`: rows carry `id`, `image` and `sentences` (one caption); query
  'query-<id>' -> 'corpus-<id>'.

XM3600 and XFlickr30kCo store images as raw {bytes, path} structs; `ImageColumn` decodes
those as it decodes `Image` cells.
"""

from __future__ import annotations

from pytest_mieb.data.columns import image_inputs
from pytest_mieb.data.containers import Inputs, RetrievalData, RetrievalSubset
from pytest_mieb.data.schema import column_values, require_layout
from pytest_mieb.data.source import DataSource
from pytest_mieb.tasks.spec import TaskSpec


def load_wit(spec: TaskSpec, src: DataSource, limit: int | None) -> RetrievalData:
    return _by_language(spec, src, id_column="image_id", caption_column="captions")


def load_xm3600(spec: TaskSpec, src: DataSource, limit: int | None) -> RetrievalData:
    return _by_language(spec, src, id_column="image_id", caption_column="captions")


def load_xflickr30k_co(spec: TaskSpec, src: DataSource, limit: int | None) -> RetrievalData:
    return _by_language(spec, src, id_column="id", caption_column="sentences")


def _by_language(
    spec: TaskSpec, src: DataSource, *, id_column: str, caption_column: str
) -> RetrievalData:
    loaded = src.load()
    require_layout(src, loaded, {key: [id_column, "image", caption_column] for key in spec.subsets})
    subsets = {}
    for language in spec.subsets:
        ds = loaded[language]
        image_ids = [str(i) for i in column_values(ds, id_column)]
        captions = column_values(ds, caption_column)
        query_ids: list[str] = []
        texts: list[str] = []
        qrels: dict[str, dict[str, int]] = {}
        for image_id, caption in zip(image_ids, captions, strict=True):
            if isinstance(caption, list):
                for k, text in enumerate(caption):
                    query_ids.append(f"query-{image_id}-{k}")
                    texts.append(text)
                    qrels[query_ids[-1]] = {f"corpus-{image_id}": 1}
            else:
                query_ids.append(f"query-{image_id}")
                texts.append(caption)
                qrels[query_ids[-1]] = {f"corpus-{image_id}": 1}
        subsets[language] = RetrievalSubset(
            query_ids=query_ids,
            queries=Inputs(key=src.key(None, language, caption_column), texts=texts),
            corpus_ids=[f"corpus-{i}" for i in image_ids],
            corpus=image_inputs(src, ds, None, language, "image"),
            qrels=qrels,
        )
    return RetrievalData(subsets=subsets)
