"""The protocol table: what each evaluation protocol runs, which params it takes, their
types and defaults, and which loader builds its data when a task says `loader = "default"`.

The one home of protocol knowledge. The suite reader checks a task's `params` against it
(unknown key or wrong type: `SuiteError`), `TaskSpec` fills the defaults from it (so an
evaluator or loader reads `spec.params[key]` and has no default of its own), and
`get_evaluator` / `load_task_data` import the functions it names. Functions are named as
"module:function" strings and imported on use, so collection stays free of numpy and torch.

A param with a default is always in `spec.params`; an optional one without a default is
there only when the suite file gives it (read it with `spec.params.get(key)`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_mieb.tasks.spec import TaskSpec


@dataclass(frozen=True)
class Kind:
    """A param's value type, as TOML writes it; `name` completes "must be ..." in errors."""

    name: str
    accepts: Callable[[Any], bool]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return _is_int(value) or isinstance(value, float)


def _list_of(check: Callable[[Any], bool], *, non_empty: bool = False) -> Callable[[Any], bool]:
    def accepts(value: Any) -> bool:
        items = isinstance(value, (list, tuple)) and all(check(v) for v in value)
        return items and (bool(value) or not non_empty)

    return accepts


INTEGER = Kind("an integer", _is_int)
BOOLEAN = Kind("true or false", lambda v: isinstance(v, bool))
STRING = Kind("a string", lambda v: isinstance(v, str))
INTEGERS = Kind("a list of integers", _list_of(_is_int))
STRINGS = Kind("a list of strings", _list_of(lambda v: isinstance(v, str)))
MODALITIES = Kind(
    'a non-empty list of "image" / "text"',
    _list_of(lambda v: v in ("image", "text"), non_empty=True),
)
NUMBER_PAIR = Kind(
    "a [low, high] pair of numbers",
    lambda v: isinstance(v, (list, tuple)) and len(v) == 2 and all(_is_number(x) for x in v),
)
TABLES = Kind("a list of tables", _list_of(lambda v: isinstance(v, Mapping)))

#: Derives a default from the params given so far and the task (its category, split, ...).
Derive = Callable[[Mapping[str, Any], "TaskSpec"], Any]


@dataclass(frozen=True)
class Param:
    """One key of a task's `params`: its type, and its default (a value, or derived from
    the task), or neither (optional: absent unless given)."""

    kind: Kind
    default: Any = None
    derive: Derive | None = None
    doc: str = ""

    @property
    def has_default(self) -> bool:
        return self.default is not None or self.derive is not None


@dataclass(frozen=True)
class Protocol:
    """An evaluation protocol (mieb-protocols.md): the evaluator, the params it and its
    loaders read, and the loader of `loader = "default"` (None: a task must name one)."""

    evaluator: str
    params: Mapping[str, Param]
    default_loader: str | None = None
    doc: str = ""
    param_names: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "param_names", frozenset(self.params))


# -- shared params and derived defaults ------------------------------------------------------

SEED = Param(INTEGER, 42, doc="random seed: sampling, classifiers, and `--mieb-limit` subsamples")
MODALITY_LETTERS = (("i", "image"), ("t", "text"))


def _side_of_category(side: str) -> Derive:
    """Absent `query_modalities` / `corpus_modalities`: the category's letters ("it2i")."""

    def derive(params: Mapping[str, Any], task: TaskSpec) -> list[str]:
        query_part, _, corpus_part = task.category.partition("2")
        letters = query_part if side == "query" else corpus_part
        return [name for letter, name in MODALITY_LETTERS if letter in letters]

    return derive


def _top_k(params: Mapping[str, Any], task: TaskSpec) -> int | None:
    """Absent `top_k_retrieved`: the largest k (None if k_values is empty: the evaluator
    refuses those k_values before reading it)."""
    return max(params["k_values"]) if params["k_values"] else None


def _clip_or_model(params: Mapping[str, Any], task: TaskSpec) -> str:
    """Absent `scoring_path`: mteb's rule, CLIP's softmax for ("image", "text") tasks."""
    return "clip_softmax" if tuple(task.modalities) == ("image", "text") else "model_similarity"


RETRIEVAL_PARAMS: dict[str, Param] = {
    "query_modalities": Param(
        MODALITIES, derive=_side_of_category("query"), doc="what a query holds"
    ),
    "corpus_modalities": Param(
        MODALITIES, derive=_side_of_category("corpus"), doc="what a document holds"
    ),
    "k_values": Param(INTEGERS, (1, 3, 5, 10, 20, 100, 1000), doc="cut-offs of @k metrics"),
    "top_k_retrieved": Param(INTEGER, derive=_top_k, doc="documents kept per query"),
    "skip_first_result": Param(BOOLEAN, False, doc="drop each query's best document"),
    "ignore_identical_ids": Param(BOOLEAN, False, doc="drop the document named like the query"),
    "seed": SEED,
}

# -- the table -------------------------------------------------------------------------------

PROTOCOLS: dict[str, Protocol] = {
    "linear_probe": Protocol(
        evaluator="pytest_mieb.evaluators.classification:evaluate_linear_probe",
        default_loader="pytest_mieb.data.labelled:load_classification",
        doc="k-shot logistic regression on frozen embeddings (ImageClassification)",
        params={
            "samples_per_label": Param(INTEGER, 16, doc="training rows per label"),
            "n_experiments": Param(INTEGER, 5, doc="resampled experiments, scores averaged"),
            "max_iter": Param(INTEGER, 100, doc="LogisticRegression iterations"),
            "drop_train_rows": Param(INTEGERS, (), doc="train rows removed before sampling"),
            "seed": SEED,
        },
    ),
    "multilabel_probe": Protocol(
        evaluator="pytest_mieb.evaluators.classification:evaluate_multilabel_probe",
        default_loader="pytest_mieb.data.labelled:load_classification",
        doc="k-shot k-nearest-neighbours multi-label probe (VOC2007)",
        params={
            "samples_per_label": Param(INTEGER, 8, doc="training rows per label"),
            "n_experiments": Param(INTEGER, 5, doc="resampled experiments, scores averaged"),
            "n_neighbors": Param(INTEGER, 5, doc="KNeighborsClassifier neighbours"),
            "seed": SEED,
        },
    ),
    "kmeans_clustering": Protocol(
        evaluator="pytest_mieb.evaluators.clustering:evaluate_clustering",
        default_loader="pytest_mieb.data.labelled:load_clustering",
        doc="one MiniBatchKMeans over the eval split, as many clusters as labels",
        params={
            "batch_size": Param(INTEGER, 500, doc="k-means mini-batch size"),
            "seed": SEED,
        },
    ),
    "zero_shot": Protocol(
        evaluator="pytest_mieb.evaluators.zeroshot:evaluate_zero_shot",
        default_loader="pytest_mieb.data.labelled:load_zero_shot",
        doc="each image predicted as its best-scoring class text",
        params={
            "candidate_labels": Param(STRINGS, doc="fixed class texts, used verbatim"),
            "candidate_label_template": Param(STRING, doc="class text with a {name} slot"),
            "class_name_transform": Param(STRING, doc="rewrites class names first ('sun397')"),
            "scoring_path": Param(
                STRING, derive=_clip_or_model, doc="clip_softmax or model_similarity"
            ),
            "n_candidates": Param(INTEGER, doc="reference count of the fixed texts"),
            "n_candidates_unique": Param(INTEGER, doc="reference count of distinct texts"),
            "candidate_texts_total_chars": Param(INTEGER, doc="reference summed text length"),
            "seed": SEED,
        },
    ),
    "retrieval": Protocol(
        evaluator="pytest_mieb.evaluators.retrieval:evaluate_retrieval",
        doc="full-corpus ranking scored with trec_eval semantics",
        params=RETRIEVAL_PARAMS,
    ),
    "multiple_choice": Protocol(
        evaluator="pytest_mieb.evaluators.retrieval:evaluate_multiple_choice",
        doc="each query ranks its own candidates; accuracy = recall@1 (VisionCentricQA)",
        params={
            **RETRIEVAL_PARAMS,
            "cvbench_task": Param(STRING, doc="the CV-Bench rows kept (loader cvbench)"),
        },
    ),
    "image_text_pair_matching": Protocol(
        evaluator="pytest_mieb.evaluators.compositionality:evaluate_pair_matching",
        default_loader="pytest_mieb.data.compositionality_sts:load_pair_matching",
        doc="match each row's images to its texts (Compositionality)",
        params={
            "n_images_per_sample": Param(INTEGER, doc="checked against the image columns"),
            "n_texts_per_sample": Param(INTEGER, doc="checked against the text columns"),
            "source_split": Param(
                STRING, derive=lambda params, task: task.eval_split, doc="split the rows come from"
            ),
            "seed": SEED,
        },
    ),
    "visual_sts": Protocol(
        evaluator="pytest_mieb.evaluators.sts:evaluate_visual_sts",
        default_loader="pytest_mieb.data.compositionality_sts:load_visual_sts",
        doc="correlate gold similarity with embedding similarity of rendered sentence pairs",
        params={
            "gold_score_range": Param(NUMBER_PAIR, (0, 5), doc="gold scores' [low, high]"),
            "seed": SEED,
        },
    ),
    "aggregate_of_visual_sts": Protocol(
        evaluator="pytest_mieb.evaluators.sts:evaluate_visual_sts_aggregate",
        doc="mean main score over the subsets of one visual STS sub-task",
        params={
            "subtasks": Param(TABLES, doc="[{name, dataset, hf_subsets_used, columns, ...}]"),
            "seed": SEED,
        },
    ),
}


def protocol(name: str) -> Protocol:
    """The table's entry; KeyError lists the known protocols."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        known = ", ".join(PROTOCOLS)
        raise KeyError(f"unknown protocol {name!r}; known: {known}") from None


def check_params(protocol_name: str, params: Mapping[str, Any]) -> None:
    """ValueError naming every unknown key, or the first value of the wrong type."""
    entry = protocol(protocol_name)
    if not isinstance(params, Mapping):
        raise ValueError(f"params must be a table, got {params!r}")
    unknown = set(params) - entry.param_names
    if unknown:
        raise ValueError(
            f"unknown params {sorted(unknown)} for protocol {protocol_name!r}; "
            f"known: {', '.join(sorted(entry.param_names))}"
        )
    for key, value in params.items():
        kind = entry.params[key].kind
        if not kind.accepts(value):
            raise ValueError(f"params.{key} must be {kind.name}, got {value!r}")


def with_defaults(task: TaskSpec) -> dict[str, Any]:
    """`task.params` completed with its protocol's defaults (fresh lists, as TOML gives
    them); plain defaults first, then derived ones, which may read the former."""
    params = dict(task.params)
    entry = PROTOCOLS.get(task.protocol)
    if entry is None:
        return params
    for key, param in entry.params.items():
        if key not in params and param.default is not None:
            params[key] = _as_toml(param.default)
    for key, param in entry.params.items():
        if key not in params and param.derive is not None:
            value = param.derive(params, task)
            if value is not None:
                params[key] = value
    return params


def _as_toml(value: Any) -> Any:
    """Tuples (immutable table defaults) as the lists a suite file would give."""
    return [_as_toml(v) for v in value] if isinstance(value, tuple) else value


def import_target(target: str) -> Callable[..., Any]:
    """The function a "module:function" string names."""
    module_name, func_name = target.split(":")
    return getattr(importlib.import_module(module_name), func_name)
