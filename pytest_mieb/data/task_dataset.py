"""Which pinned dataset a task reads (aggregates read their sub-task's), kept free of
heavy imports so `download` and collection-time code can use it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_mieb.tasks.spec import DatasetRef, TaskSpec


def sts_subsets_plan(spec: TaskSpec) -> tuple[DatasetRef, list[str], Mapping[str, Any], str]:
    """(dataset, subsets, columns, split) of a multi-config STS task or aggregate.

    Aggregates name their sub-task in `params.subtasks[0]` (`dataset`, `hf_subsets_used`,
    `columns`, `eval_split`); a plain multi-subset task uses its own dataset, subsets,
    columns and eval split.
    """
    subtasks = spec.params.get("subtasks")
    if subtasks:
        sub = subtasks[0]
        ds = sub["dataset"]
        ref = DatasetRef(path=ds["path"], revision=str(ds["revision"]))
        subsets = list(sub.get("hf_subsets_used") or sub.get("subsets") or ())
        return ref, subsets, sub.get("columns", {}), str(sub.get("eval_split", spec.eval_split))
    return spec.dataset, list(spec.subsets), spec.columns, spec.eval_split


def dataset_of(spec: TaskSpec) -> DatasetRef:
    """The dataset `load_task_data` opens for `spec`."""
    return sts_subsets_plan(spec)[0] if spec.loader == "sts_subsets" else spec.dataset
