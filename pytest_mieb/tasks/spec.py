"""Frozen task specifications: the data a suite file holds about one MIEB task.

A `TaskSpec` is plain data, cheap to build and free of heavy imports, so that collecting
all MIEB tasks never touches torch, transformers or datasets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_mieb.tasks.protocols import with_defaults
from pytest_mieb.tasks.types import EXTRA_TYPE_KEYWORDS, MULTILINGUAL_KEYWORD, TYPE_MARKERS


@dataclass(frozen=True)
class DatasetRef:
    """A Hugging Face dataset pinned to one revision."""

    path: str
    revision: str
    gated: bool = False
    trust_remote_code: bool = False

    def __str__(self) -> str:
        return f"{self.path}@{self.revision}"


@dataclass(frozen=True, eq=False)
class TaskSpec:
    """Everything the harness needs to know about one task, as data.

    `columns` and `params` keep the protocol-specific parts (column names, k values,
    candidate labels, sampling settings, ...) in the shape the suite file gives them.
    `params` is completed with the protocol's defaults on construction
    (`pytest_mieb.tasks.protocols`), so every spec, however built, carries the values its
    evaluator and loader read.
    """

    name: str
    type: str
    protocol: str
    dataset: DatasetRef
    eval_split: str
    main_score: str
    loader: str = "default"
    category: str = ""
    modalities: tuple[str, ...] = ()
    train_split: str | None = None
    subsets: tuple[str, ...] = ("default",)
    languages: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    columns: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    prompts: Mapping[str, str] = field(default_factory=dict)
    benchmarks: tuple[str, ...] = ()
    sizes: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    #: Regression floor: a number (main score) or {metric: minimum}.
    min_scores: Mapping[str, float] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", with_defaults(self))

    @property
    def type_marker(self) -> str:
        return TYPE_MARKERS.get(self.type, self.protocol)

    @property
    def all_languages(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for langs in self.languages.values():
            seen.update(dict.fromkeys(langs))
        return tuple(seen)

    @property
    def is_multilingual(self) -> bool:
        return len(self.all_languages) > 1

    @property
    def keywords(self) -> tuple[str, ...]:
        """Words that `-k` matches besides the task name."""
        words = [self.type_marker, *EXTRA_TYPE_KEYWORDS.get(self.type, ())]
        if self.is_multilingual:
            words.append(MULTILINGUAL_KEYWORD)
        return tuple(dict.fromkeys(words))
