"""Turning dataset columns into `Inputs` with stable cache keys."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from pytest_mieb.data.containers import Inputs
from pytest_mieb.data.images import ImageColumn
from pytest_mieb.data.source import DataSource


def where(src: DataSource, config: str | None, split: str) -> str:
    """How error messages name a split: dataset, revision, config and split."""
    config_part = f" config {config!r}" if config else ""
    return f"{src.ref}{config_part} split {split!r}"


#: Appended to the key of an image column read as a `Dataset.map` rebuild stores it.
REENCODED = "(re-encoded)"


def image_inputs(
    src: DataSource,
    dataset: Any,
    config: str | None,
    split: str,
    column: str,
    *,
    reencoded: bool = False,
) -> Inputs:
    """All rows of an image column, decoded lazily, keyed by dataset/config/split/column.

    `reencoded`: the pixels after the reference's `Dataset.map` rebuild (see
    `pytest_mieb.data.images.as_map_stores_it`), under a key of their own.
    """
    images = ImageColumn(dataset, column, where(src, config, split), reencoded=reencoded)
    label = f"{column}{REENCODED}" if reencoded else column
    return Inputs(key=src.key(config, split, label), images=images)


def text_inputs(key: str, texts: Sequence[str]) -> Inputs:
    return Inputs(key=key, texts=list(texts))


def texts_key(prefix: str, texts: Sequence[str]) -> str:
    """A key for texts built by the harness (candidate prompts, pooled options): content
    digest, so equal lists share embeddings and different lists never collide."""
    digest = hashlib.sha1(json.dumps(list(texts), ensure_ascii=False).encode()).hexdigest()
    return f"{prefix}#{digest[:16]}"


def maybe_subset(inputs: Inputs, rows: Sequence[int], total: int) -> Inputs:
    """`inputs` restricted to `rows`, unless they are all rows in order."""
    if len(rows) == total and all(i == r for i, r in enumerate(rows)):
        return inputs
    return inputs.subset(rows)
