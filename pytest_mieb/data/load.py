"""`load_task_data`: a task spec in, the evaluator's data container out.

`spec.loader` picks the construction ("default": the protocol table's default loader);
each loader
documents the spec keys it reads. The result is one of the containers of
`pytest_mieb.data.containers`, with lazily decoded images and cache keys naming the data.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_mieb.data.beir import load_beir, load_vidore
from pytest_mieb.data.compositionality_sts import (
    load_imagecode,
    load_sts_subsets,
)
from pytest_mieb.data.containers import RetrievalData
from pytest_mieb.data.cvbench import load_cvbench
from pytest_mieb.data.errors import DataError
from pytest_mieb.data.multilingual_retrieval import load_wit, load_xflickr30k_co, load_xm3600
from pytest_mieb.data.paired_retrieval import load_hateful_memes, load_memotion, load_scimmir
from pytest_mieb.data.sampling import limit_retrieval
from pytest_mieb.data.source import DataSource, open_source
from pytest_mieb.data.task_dataset import dataset_of
from pytest_mieb.tasks.protocols import PROTOCOLS, import_target
from pytest_mieb.tasks.spec import TaskSpec

Loader = Callable[[TaskSpec, DataSource, "int | None"], Any]

LOADERS: dict[str, Loader] = {
    "beir": load_beir,
    "vidore": load_vidore,
    "hateful_memes": load_hateful_memes,
    "memotion": load_memotion,
    "scimmir": load_scimmir,
    "wit": load_wit,
    "xm3600": load_xm3600,
    "xflickr30k_co": load_xflickr30k_co,
    "cvbench": load_cvbench,
    "imagecode": load_imagecode,
    "sts_subsets": load_sts_subsets,
}


def load_task_data(
    spec: TaskSpec,
    *,
    data_dir: str | Path | None = None,
    limit: int | None = None,
    hub_offline: bool | None = None,
) -> Any:
    """The task's evaluation data, from a mirror under `data_dir` or the pinned hub revision.

    `limit` keeps a deterministic subsample (seeded by `params.seed`): at most
    `limit` eval rows (stratified by label where there are labels), pairs, or queries (with
    their judged documents and a sample of the rest of the corpus up to `limit`).
    Raises `DataError` (one line: dataset, revision, what is wrong, remedy).
    """
    if limit is not None and int(limit) < 1:
        raise ValueError(f"limit must be a positive number of rows, got {limit!r}")
    loader = _loader_for(spec)
    src = open_source(dataset_of(spec), data_dir=data_dir, hub_offline=hub_offline)
    data = loader(spec, src, None if limit is None else int(limit))
    if limit is not None and isinstance(data, RetrievalData):
        seed = int(spec.params["seed"])
        data = RetrievalData(
            subsets={
                name: limit_retrieval(subset, int(limit), seed)
                for name, subset in data.subsets.items()
            }
        )
    return data


def _loader_for(spec: TaskSpec) -> Loader:
    if spec.loader == "default":
        entry = PROTOCOLS.get(spec.protocol)
        if entry is None or entry.default_loader is None:
            known = ", ".join(p for p, e in PROTOCOLS.items() if e.default_loader)
            raise DataError(
                f"{spec.dataset}: {spec.name}: loader 'default' cannot build data for protocol "
                f"{spec.protocol!r} (known: {known})"
            )
        return import_target(entry.default_loader)
    try:
        return LOADERS[spec.loader]
    except KeyError:
        known = ", ".join(["default", *LOADERS])
        raise DataError(
            f"{spec.dataset}: {spec.name}: unknown loader {spec.loader!r}; known: {known}"
        ) from None
