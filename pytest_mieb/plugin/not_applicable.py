"""Collection: deselect the items a model cannot take, when what it takes is known unloaded.

A published model's inputs are in the model table (`pytest_mieb.models.model_table`), so
its items for tasks needing another input kind (an image-only model and a zero-shot task) are
deselected at collection, never run, and one line per model says how many; ``--mieb-show-na``
lists them. Models known only once loaded (user factories, fixture overrides, other plugins'
ids) are judged at run time instead: such an item is skipped "n/a: ..." (`MiebState`).

Under pytest-xdist the workers collect and deselect; each puts its summary (the lines, the
selected tasks and what each model takes) into ``config.workeroutput``, and the controller,
which collects nothing, prints the lines and gives the end table its "n/a" cells from the
first worker's report (`to_wire`, `CollectionReport.from_wire`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_mieb.plugin.collection import MiebItem
from pytest_mieb.tasks.spec import TaskSpec

#: The key of a worker's n/a report in ``config.workeroutput``.
WORKEROUTPUT_KEY = "mieb_not_applicable"


@dataclass
class CollectionReport:
    """What collection found about n/a tasks: the summary lines, the MIEB tasks selected for a
    model (before the n/a deselection) and the input kinds of the models the table knows."""

    lines: list[str] = field(default_factory=list)
    selected: set[str] = field(default_factory=set)
    takes: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        found: dict[str, tuple[frozenset[str], list[TaskSpec]]],
        selected: set[str],
        show: bool,
    ) -> CollectionReport:
        takes = {model: kinds for model, (kinds, _) in found.items()}
        return cls(summary_lines(found, show), selected, takes)

    def to_wire(self) -> dict[str, Any]:
        """Plain lists and strings: what xdist's channel carries."""
        return {
            "lines": list(self.lines),
            "selected": sorted(self.selected),
            "takes": {model: sorted(kinds) for model, kinds in self.takes.items()},
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> CollectionReport:
        takes = {str(m): frozenset(map(str, k)) for m, k in dict(wire.get("takes", {})).items()}
        return cls(list(wire.get("lines", [])), set(wire.get("selected", [])), takes)


def selected_tasks(items: list[pytest.Item]) -> set[str]:
    """The tasks of the MIEB items (those of `--mieb-model` ids or of an overridden
    ``mieb_encoder``; without either, nothing runs and no table is shown)."""
    return {item.spec.name for item in items if isinstance(item, MiebItem)}


def known_inputs(model_id: str) -> frozenset[str] | None:
    """The input kinds of `model_id` when the model table knows them, else None."""
    from pytest_mieb.models.errors import ModelLoadError
    from pytest_mieb.models.id_forms import parse_model_id
    from pytest_mieb.models.model_table import published_model

    try:
        ref = parse_model_id(model_id)
    except ModelLoadError:
        return None
    if ref.local or ref.backend in ("baseline", "user"):
        return None
    row = published_model(ref.target)
    return row.input_kinds if row is not None else None


def deselect_not_applicable(
    config: pytest.Config, items: list[pytest.Item]
) -> dict[str, tuple[frozenset[str], list[TaskSpec]]]:
    """Deselect the n/a items of models known unloaded; model -> (its kinds, n/a tasks)."""
    from pytest_mieb.tasks.modalities import missing_inputs

    kinds: dict[str, frozenset[str] | None] = {}
    found: dict[str, tuple[frozenset[str], list[TaskSpec]]] = {}
    dropped: list[pytest.Item] = []
    for item in items:
        model = getattr(item, "mieb_model", None) if isinstance(item, MiebItem) else None
        if model is None:
            continue
        if model not in kinds:
            kinds[model] = known_inputs(model)
        takes = kinds[model]
        if takes is not None and missing_inputs(item.spec, takes):
            dropped.append(item)
            found.setdefault(model, (takes, []))[1].append(item.spec)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        gone = {id(i) for i in dropped}
        items[:] = [i for i in items if id(i) not in gone]
    return found


def summary_lines(found: dict[str, tuple[frozenset[str], list[TaskSpec]]], show: bool) -> list[str]:
    """One line per model; with `show`, one more per task saying what it needs."""
    from pytest_mieb.tasks.modalities import describe, missing_inputs

    lines = []
    for model, (takes, specs) in found.items():
        hint = "" if show else "; --mieb-show-na lists them"
        lines.append(
            f"pytest-mieb: {model}: {len(specs)} tasks n/a (takes {describe(takes)}){hint}"
        )
        if show:
            for spec in specs:
                needs = ", ".join(missing_inputs(spec, takes))
                lines.append(f"  n/a {spec.name}[{model}]: needs {needs} inputs")
    return lines
