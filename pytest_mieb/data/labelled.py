"""Loaders for labelled images: linear probe, multi-label probe, clustering, zero-shot.

All read the default config with `load_dataset(path, revision=...)` (split-keyed). Keys read:
`columns.image` (default "image"), `columns.label` (default "label"; `columns.labels` for
the multi-label probe), `train_split` (default "train"), `params.seed` (for `limit`), and
for zero-shot `params.candidate_labels` (a fixed list) or `params.candidate_label_template`
with `params.class_name_transform` (formatted by `pytest_mieb.tasks.candidate_texts` over
the label column's ClassLabel names, in label-id order).

`limit` subsamples the evaluation split, stratified by label. The train split of a probe
is never cut: the probe embeds only the rows it samples from it (samples_per_label per
label), and `params.drop_train_rows` (applied by the evaluator) indexes the full split.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_mieb.data.columns import image_inputs, maybe_subset, text_inputs, texts_key
from pytest_mieb.data.containers import (
    ClassificationData,
    ClusteringData,
    LabelledImages,
    ZeroShotData,
)
from pytest_mieb.data.errors import DataError
from pytest_mieb.data.sampling import stratified_rows
from pytest_mieb.data.schema import column_values, require_layout
from pytest_mieb.data.source import DataSource
from pytest_mieb.tasks.spec import TaskSpec


def load_classification(spec: TaskSpec, src: DataSource, limit: int | None) -> ClassificationData:
    image, label = _image_column(spec), _label_column(spec)
    train_split = spec.train_split or "train"
    loaded = src.load()
    require_layout(src, loaded, {train_split: [image, label], spec.eval_split: [image, label]})
    train = _labelled(src, loaded, train_split, image, label, None, 0)
    test = _labelled(src, loaded, spec.eval_split, image, label, limit, _seed(spec))
    return ClassificationData(train=train, test=test)


def load_clustering(spec: TaskSpec, src: DataSource, limit: int | None) -> ClusteringData:
    image, label = _image_column(spec), _label_column(spec)
    loaded = src.load()
    require_layout(src, loaded, {spec.eval_split: [image, label]})
    return ClusteringData(
        test=_labelled(src, loaded, spec.eval_split, image, label, limit, _seed(spec))
    )


def load_zero_shot(spec: TaskSpec, src: DataSource, limit: int | None) -> ZeroShotData:
    image, label = _image_column(spec), _label_column(spec)
    loaded = src.load()
    require_layout(src, loaded, {spec.eval_split: [image, label]})
    split = loaded[spec.eval_split]
    texts = _candidate_texts(spec, src, split.features[label])
    test = _labelled(src, loaded, spec.eval_split, image, label, None, 0)
    labels = _as_candidate_indices(spec, src, test.labels, texts)
    test = LabelledImages(inputs=test.inputs, labels=labels)
    if limit is not None:
        rows = stratified_rows(labels, limit, _seed(spec))
        test = LabelledImages(
            inputs=maybe_subset(test.inputs, rows, len(labels)),
            labels=[labels[i] for i in rows],
        )
    prefix = f"{src.ref.path}@{src.ref.revision}/default/{spec.eval_split}/{label}:candidates"
    return ZeroShotData(test=test, candidates=text_inputs(texts_key(prefix, texts), texts))


# -- candidate prompts ---------------------------------------------------------------------


def _candidate_texts(spec: TaskSpec, src: DataSource, label_feature: Any) -> list[str]:
    """The fixed list, or the template over the ClassLabel names (label-id order), built
    by `candidate_texts` so prompts are formatted in one place."""
    from pytest_mieb.tasks.candidate_texts import candidate_texts

    names = getattr(label_feature, "names", None)
    try:
        return [str(t) for t in candidate_texts(spec, list(names) if names else None)]
    except ValueError as exc:
        raise DataError(
            f"{src.ref}: {exc} (label column {_label_column(spec)!r} is "
            f"{type(label_feature).__name__}) in {src.origin}"
        ) from exc


def _as_candidate_indices(
    spec: TaskSpec, src: DataSource, labels: Sequence[Any], texts: list[str]
) -> list[int]:
    """Integer labels index the candidates; string labels match a candidate text exactly."""
    if all(isinstance(v, int) and not isinstance(v, bool) for v in labels):
        bad = sorted({v for v in labels if not 0 <= v < len(texts)})
        if bad:
            raise DataError(
                f"{src.ref}: {spec.name} labels {bad[:5]} do not index the "
                f"{len(texts)} candidate texts in {src.origin}"
            )
        return list(labels)
    position = {t: i for i, t in reversed(list(enumerate(texts)))}
    missing = sorted({str(v) for v in labels if v not in position})
    if missing:
        raise DataError(
            f"{src.ref}: {spec.name} labels {missing[:5]} match no candidate text in {src.origin}"
        )
    return [position[v] for v in labels]


# -- helpers ---------------------------------------------------------------------------


def _labelled(
    src: DataSource,
    loaded: Any,
    split: str,
    image: str,
    label: str,
    limit: int | None,
    seed: int,
) -> LabelledImages:
    dataset = loaded[split]
    inputs = image_inputs(src, dataset, None, split, image)
    labels = column_values(dataset, label)
    if limit is not None:
        rows = stratified_rows(labels, limit, seed)
        inputs = maybe_subset(inputs, rows, len(labels))
        labels = [labels[i] for i in rows]
    return LabelledImages(inputs=inputs, labels=labels)


def _image_column(spec: TaskSpec) -> str:
    return str(spec.columns.get("image", "image"))


def _label_column(spec: TaskSpec) -> str:
    if spec.protocol == "multilabel_probe" and "labels" in spec.columns:
        return str(spec.columns["labels"])
    return str(spec.columns.get("label", "label"))


def _seed(spec: TaskSpec) -> int:
    return int(spec.params["seed"])
