"""Result files: one JSON per (model, task), in the layout and key order mteb writes.

Layout: ``<results-dir>/<model_name_as_path>/<revision>/<Task>.json`` for full runs, and
``<results-dir>/<model_name_as_path>/<revision>/limit-<N>/<Task>.json`` for runs capped at N
items (``--mieb-limit``), so a limited score can never overwrite or sit next to a full one.

The top-level keys follow mteb (dataset_revision, task_name, mteb_version, scores,
evaluation_time, kg_co2_emissions, date, evaluation_phases) and mteb's own reader accepts our
files. One extra trailing key, ``"pytest_mieb"``, holds what mteb keeps elsewhere or not at all:
``{"version", "model_name", "model_revision", "task_type", "main_score_name", "limit"}``
(``limit`` is null for full runs). mteb's reader ignores it.

Floats inside ``scores`` are rounded to 6 decimals. Undefined values (NaN, infinities) are
written as ``null``, as mteb writes them, so the files are strict JSON that any parser
(JavaScript, ``jq``, dashboards) accepts; readers take null where a float is expected as
undefined (`TaskResult.metric` gives NaN, the leaderboard shows it as missing). Files written
before, with bare ``NaN`` tokens, still read (as NaN).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_mieb import __version__
from pytest_mieb.results.atomic import write_json_atomic
from pytest_mieb.results.task_score import MAIN_SCORE, task_score_or_nan
from pytest_mieb.tasks.protocols import fitted_versions
from pytest_mieb.tasks.splits import extra_splits, qualified, split_of

#: What we write where mteb writes its package version.
VERSION_STRING = f"pytest-mieb {__version__}"
#: mteb's folder name for a model without a known revision.
NO_REVISION = "no_revision_available"
#: mteb's model name for an unnamed model.
NO_MODEL_NAME = "no_model_name/available"
#: The key under which our own metadata lives in a result file.
EXTRA_KEY = "pytest_mieb"
#: Decimals kept for every float inside ``scores``.
SCORE_DECIMALS = 6
#: Files in a results folder that are not task results.
NON_RESULT_FILES = frozenset({"model_meta.json"})

_LIMIT_DIR_PREFIX = "limit-"
_EXPERIMENTS_DIR = "experiments"
#: Keys of an mteb score dict that are bookkeeping rather than metrics.
_SUBSET_KEYS = frozenset({"main_score", "hf_subset", "languages", "mteb_version"})


class ResultWriteError(OSError):
    """A result file could not be written (disk full, no permission); names the file."""


@dataclass(frozen=True)
class TaskResult:
    """The outcome of one task for one model, as stored in one result file.

    ``scores`` maps hf_subset -> {metric: value, ..., "main_score": float}; values are
    usually floats, but lists and nested dicts (e.g. ``scores_per_experiment``) and None
    pass through. ``limit`` is the item cap of a limited run (None for a full run).
    """

    task_name: str
    scores: Mapping[str, Mapping[str, Any]]
    model_name: str = NO_MODEL_NAME
    model_revision: str = NO_REVISION
    task_type: str = ""
    main_score_name: str = ""
    dataset_revision: str = ""
    eval_split: str = "test"
    evaluation_time: float | None = None
    languages: Mapping[str, Sequence[str]] = field(default_factory=dict)
    limit: int | None = None
    date: float | None = None
    mteb_version: str = VERSION_STRING
    #: Splits scored besides `eval_split`, their subsets keyed "<split>/<subset>"
    #: (`pytest_mieb.tasks.splits`).
    extra_splits: tuple[str, ...] = ()
    #: Versions of the libraries whose fitted estimators the score depends on
    #: (`Protocol.fitted_with`), e.g. {"scikit-learn": "1.5.2"}; {} for other tasks.
    library_versions: Mapping[str, str] = field(default_factory=dict)
    #: Where the result was read from (not part of its identity).
    source: str = field(default="", compare=False)

    @property
    def limited(self) -> bool:
        return self.limit is not None

    @property
    def subsets(self) -> tuple[str, ...]:
        return tuple(self.scores)

    @property
    def main_score(self) -> float:
        """The task score (`pytest_mieb.results.task_score`); NaN where it is missing."""
        return self.metric(MAIN_SCORE)

    def metric(self, name: str, subsets: Sequence[str] | None = None) -> float:
        """Mean of one metric over the given subsets (all by default), by the task-score rule;
        NaN if there is none or any subset lacks it."""
        return task_score_or_nan(self.scores, subsets, name)

    @property
    def identity(self) -> tuple[str, str, str, int | None]:
        """What makes two results duplicates of each other."""
        return (self.model_name, self.model_revision, self.task_name, self.limit)

    @classmethod
    def from_evaluation(
        cls,
        spec: Any,
        scores: Mapping[str, Mapping[str, Any]],
        *,
        model_name: str,
        model_revision: str | None,
        evaluation_time: float | None,
        limit: int | None = None,
        date: float | None = None,
    ) -> TaskResult:
        """Build a result from a `TaskSpec` and an evaluator's ``{subset: {metric: value}}``.

        Languages per subset come from ``spec.languages``; subsets it does not list (e.g. the
        ``default`` subset of aggregate tasks) get the union of all the task's languages, as
        mteb does.
        """
        all_languages = list(spec.all_languages)
        extra = extra_splits(spec)
        languages = {
            key: list(spec.languages.get(split_of(key, extra, "")[1], all_languages))
            for key in scores
        }
        return cls(
            task_name=spec.name,
            scores={subset: dict(values) for subset, values in scores.items()},
            model_name=model_name or NO_MODEL_NAME,
            model_revision=model_revision or NO_REVISION,
            task_type=spec.type,
            main_score_name=spec.main_score,
            dataset_revision=spec.dataset.revision,
            eval_split=spec.eval_split,
            evaluation_time=evaluation_time,
            languages=languages,
            limit=limit,
            date=time.time() if date is None else date,
            extra_splits=extra,
            library_versions=fitted_versions(spec.protocol),
        )


# --- names and paths -----------------------------------------------------------------------


def model_name_as_path(model_name: str | None) -> str:
    """mteb's folder name for a model: ``/`` -> ``__``, spaces -> ``_``."""
    return (model_name or NO_MODEL_NAME).replace("/", "__").replace(" ", "_")


def revision_as_path(revision: str | None) -> str:
    return (revision or NO_REVISION).replace("/", "__").replace(" ", "_")


def result_path(
    results_dir: str | os.PathLike[str],
    model_name: str | None,
    model_revision: str | None,
    task_name: str,
    limit: int | None = None,
) -> Path:
    """Where the result of (model, revision, task[, limit]) lives."""
    folder = Path(results_dir) / model_name_as_path(model_name) / revision_as_path(model_revision)
    if limit is not None:
        folder = folder / f"{_LIMIT_DIR_PREFIX}{int(limit)}"
    return folder / f"{task_name}.json"


def path_for(result: TaskResult, results_dir: str | os.PathLike[str]) -> Path:
    return result_path(
        results_dir, result.model_name, result.model_revision, result.task_name, result.limit
    )


# --- serialisation -------------------------------------------------------------------------


def _round_floats(value: Any, decimals: int = SCORE_DECIMALS) -> Any:
    """Round every finite float in a nested structure, NaN/inf become None; ints and bools
    stay as they are."""
    if isinstance(value, float):
        return round(float(value), decimals) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: _round_floats(item, decimals) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_round_floats(item, decimals) for item in value]
    if callable(getattr(value, "tolist", None)):  # numpy scalar or array
        return _round_floats(value.tolist(), decimals)
    return value


def finite_or_none(value: float | None) -> float | None:
    """A float for JSON: None stands for a missing or undefined (NaN, infinite) value."""
    return None if value is None or not math.isfinite(value) else float(value)


def result_to_json(result: TaskResult) -> dict[str, Any]:
    """The file content for a result, keys in mteb's order, floats rounded."""
    score_dicts: dict[str, list[Any]] = {
        split: [] for split in (result.eval_split, *result.extra_splits)
    }
    for key, metrics in result.scores.items():
        split, subset = split_of(key, result.extra_splits, result.eval_split)
        entry = {name: value for name, value in metrics.items() if name not in _SUBSET_KEYS}
        entry["main_score"] = metrics.get(
            "main_score", metrics.get(result.main_score_name, math.nan)
        )
        entry["hf_subset"] = subset
        entry["languages"] = list(result.languages.get(key, ()))
        entry["mteb_version"] = result.mteb_version
        score_dicts[split].append(_round_floats(entry))
    optional: dict[str, Any] = {}
    if result.extra_splits:
        optional["extra_eval_splits"] = list(result.extra_splits)
    if result.library_versions:
        optional["library_versions"] = dict(result.library_versions)
    return {
        "dataset_revision": result.dataset_revision,
        "task_name": result.task_name,
        "mteb_version": result.mteb_version,
        "scores": score_dicts,
        "evaluation_time": finite_or_none(result.evaluation_time),
        "kg_co2_emissions": None,
        "date": finite_or_none(result.date),
        "evaluation_phases": None,
        EXTRA_KEY: {
            "version": __version__,
            "model_name": result.model_name,
            "model_revision": result.model_revision,
            "task_type": result.task_type,
            "main_score_name": result.main_score_name,
            "limit": result.limit,
            **optional,
        },
    }


def _pick_split(scores: Mapping[str, Any], split: str | None, where: str) -> str:
    if split is not None:
        if split not in scores:
            raise ValueError(f"{where}: no split {split!r}; splits: {sorted(scores)}")
        return split
    if len(scores) == 1:
        return next(iter(scores))
    if "test" in scores:
        return "test"
    raise ValueError(f"{where}: several splits {sorted(scores)}; say which one to read")


def result_from_json(
    data: Mapping[str, Any],
    *,
    split: str | None = None,
    model_name: str | None = None,
    model_revision: str | None = None,
    source: str = "",
) -> TaskResult:
    """Parse file content (ours or mteb's).

    Files with several splits yield the one named, else ``test``, plus the splits the task
    scores besides it (`pytest_mieb.tasks.splits`: recorded in our files, the packaged
    task's in mteb's), so a task score read back is the one computed. mteb's files lack our
    ``pytest_mieb`` key: model name and revision then come from the arguments.
    """
    where = source or str(data.get("task_name", "result"))
    for key in ("task_name", "scores"):
        if key not in data:
            raise ValueError(f"{where}: not a task result (no {key!r} key)")
    extra = data.get(EXTRA_KEY) or {}
    others = () if split is not None else _extra_splits_of(data, extra)
    main_splits = {k: v for k, v in data["scores"].items() if k not in others}
    chosen = _pick_split(main_splits, split, where)
    missing = [s for s in others if s not in data["scores"]]
    if missing:
        raise ValueError(f"{where}: no split {missing[0]!r}; splits: {sorted(data['scores'])}")
    scores: dict[str, dict[str, Any]] = {}
    languages: dict[str, list[str]] = {}
    for read in (chosen, *others):
        for entry in data["scores"][read]:
            subset = entry.get("hf_subset", "default")
            key = subset if read == chosen else qualified(read, subset)
            scores[key] = {
                name: value
                for name, value in entry.items()
                if name not in ("hf_subset", "languages", "mteb_version")
            }
            languages[key] = list(entry.get("languages", ()))
    limit = extra.get("limit")
    return TaskResult(
        task_name=data["task_name"],
        scores=scores,
        model_name=extra.get("model_name") or model_name or NO_MODEL_NAME,
        model_revision=extra.get("model_revision") or model_revision or NO_REVISION,
        task_type=extra.get("task_type", ""),
        main_score_name=extra.get("main_score_name", ""),
        dataset_revision=str(data.get("dataset_revision", "")),
        eval_split=chosen,
        evaluation_time=data.get("evaluation_time"),
        languages=languages,
        limit=None if limit is None else int(limit),
        date=_as_timestamp(data.get("date")),
        mteb_version=str(data.get("mteb_version") or ""),
        source=source,
        extra_splits=others,
        library_versions=dict(extra.get("library_versions") or {}),
    )


def _extra_splits_of(data: Mapping[str, Any], extra: Mapping[str, Any]) -> tuple[str, ...]:
    """The splits a file's task scores besides its main one: recorded in our files; for
    another writer's file with several splits, those the packaged task declares."""
    if EXTRA_KEY in data:
        return tuple(extra.get("extra_eval_splits") or ())
    if len(data["scores"]) < 2:
        return ()
    from pytest_mieb.tasks.index import load_all_specs

    spec = load_all_specs().get(str(data["task_name"]))
    return () if spec is None else extra_splits(spec)


def _as_timestamp(value: Any) -> float | None:
    if value is None or isinstance(value, (int, float)):
        return value
    return None  # an ISO string from some other writer: keep the result, drop the date


# --- files ---------------------------------------------------------------------------------


def write_result(result: TaskResult, results_dir: str | os.PathLike[str]) -> Path:
    """Write one result file atomically; returns its path."""
    return write_json_atomic(path_for(result, results_dir), result_to_json(result))


def _identity_from_path(path: Path) -> tuple[str | None, str | None]:
    """(model name, revision) implied by mteb's layout, read from model_meta.json if present.

    A result under mteb's ``<revision>/experiments/<name>/`` gets the revision
    ``<revision>/experiments/<name>`` so it never merges with the plain run.
    """
    folder = path.parent
    experiment = ""
    if folder.name.startswith(_LIMIT_DIR_PREFIX):
        folder = folder.parent
    elif folder.parent.name == _EXPERIMENTS_DIR:
        experiment = f"/{_EXPERIMENTS_DIR}/{folder.name}"
        folder = folder.parent.parent
    meta_file = folder / "model_meta.json"
    if meta_file.is_file():
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = None
        # a damaged or foreign model_meta.json is ignored: the folders still name the run
        if isinstance(meta, dict):
            name, revision = meta.get("name"), meta.get("revision") or NO_REVISION
            if isinstance(name, (str, type(None))) and isinstance(revision, str):
                return name, revision + experiment
    if folder.parent == folder:
        return None, None
    return folder.parent.name.replace("__", "/"), folder.name + experiment


def load_result(path: str | os.PathLike[str], split: str | None = None) -> TaskResult:
    """Read one result file (ours or mteb's); ValueError if it is not a task result."""
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{file}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{file}: not a task result (top level is not an object)")
    model_name, revision = (None, None) if EXTRA_KEY in data else _identity_from_path(file)
    return result_from_json(
        data, split=split, model_name=model_name, model_revision=revision, source=str(file)
    )


def _is_candidate(path: Path) -> bool:
    return (
        path.suffix == ".json"
        and path.name not in NON_RESULT_FILES
        and not path.name.startswith(".")
        and not path.name.endswith("_predictions.json")
    )


def iter_results(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    strict: bool = False,
) -> Iterator[TaskResult]:
    """Every task result under the given folders (walked recursively) or files, in path order.

    JSON files that are not task results (model_meta.json, prediction files, anything without
    ``task_name``/``scores``) are skipped; with ``strict`` they raise instead.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    for root in map(Path, paths):
        if root.is_file():
            files = [root]
        elif root.is_dir():
            files = sorted(p for p in root.rglob("*.json") if _is_candidate(p))
        else:
            raise FileNotFoundError(f"no results file or folder at {root}")
        for file in files:
            try:
                yield load_result(file)
            except ValueError:
                if strict:
                    raise


def has_result(
    results_dir: str | os.PathLike[str],
    model_name: str | None,
    model_revision: str | None,
    task_name: str,
    limit: int | None = None,
) -> bool:
    """Whether a readable result for exactly this (model, revision, task, limit) exists."""
    path = result_path(results_dir, model_name, model_revision, task_name, limit)
    if not path.is_file():
        return False
    try:
        result = load_result(path)
    except (OSError, ValueError):
        return False
    return result.task_name == task_name and result.limit == limit
