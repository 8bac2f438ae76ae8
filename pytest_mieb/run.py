"""The spine: one task for one model, from spec to result file and gate outcomes; no pytest.

`run_task` is the whole way of one item: reuse the saved result or evaluate (data, evaluator,
bootstrap intervals), build the `TaskResult`, write it, and check it against the minimum
scores and the baseline. The plugin, the CLI and the benchmarks call it; the plugin adds only
what pytest needs (fixtures, `record_property`, raising `GateFailure` on a breach).

`evaluate_task` is the narrower step inside it: load the task's data (pinned hub revision or
local mirror), hand it to the protocol's evaluator and time it. With ``per_item=True`` it also
collects the evaluator's per-item values (the vectors behind mean metrics, for bootstrap
confidence intervals; see `pytest_mieb.results.gates.bootstrap_ci`).

Importing this module is cheap (no numpy, torch or datasets): the plugin imports it while
collecting.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_mieb.results.task_score import task_score_or_nan

if TYPE_CHECKING:
    from pytest_mieb.evaluators.base import Embedder, PerItemStore
    from pytest_mieb.results.files import TaskResult
    from pytest_mieb.results.gates import GateOutcome
    from pytest_mieb.tasks.spec import TaskSpec

    #: Baseline results keyed by (task, limit), as `results.gates.load_baseline` gives them.
    Baseline = Mapping[tuple[str, int | None], TaskResult]

#: Two-sided 95% bootstrap intervals, seeded so that reruns report the same interval.
BOOTSTRAP_ALPHA = 0.05
BOOTSTRAP_SEED = 42
#: The marker of the offline suite, whose datasets are generated on first use.
LOCAL_MARKER = "mieb_local"


class GateFailure(AssertionError):
    """A score below its minimum or baseline; the message is the one line to show."""


@dataclass(frozen=True)
class RunConfig:
    """What one run asks of every task: where results and data live, and what gates apply.

    `min_scores` maps task -> minimum (main score) or {metric: minimum}, as the project's
    ``[tool.pytest_mieb.min_scores]`` gives them; a task's own ``min_scores`` in its suite
    entry win. `max_drop` is absolute (``"0.01"``) or relative (``"2%"``).
    """

    results_dir: Path
    data_dir: Path | None = None
    limit: int | None = None
    overwrite: bool = False
    bootstrap: int | None = None
    baseline: Path | None = None
    baseline_model: str | None = None
    max_drop: str = "0"
    min_scores: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What `run_task` did: the result, whether it was reused, the gates, the vectors.

    `per_item` holds the evaluator's per-item values (metric -> subset -> values) when they
    were collected (``--mieb-bootstrap``); None for a reused result.
    """

    result: TaskResult
    reused: bool
    gates: tuple[GateOutcome, ...] = ()
    per_item: PerItemStore | None = None

    @property
    def breaches(self) -> list[GateOutcome]:
        return [outcome for outcome in self.gates if outcome.failed]

    def gate_failure(self) -> GateFailure | None:
        """The `GateFailure` to raise for the breached gates, or None when all held."""
        failed = self.breaches
        return GateFailure("; ".join(o.message for o in failed)) if failed else None


@dataclass(frozen=True)
class TaskScores:
    """Scores of one task for one model: per hf subset, plus the task's single number.

    `per_item`, when collected, maps metric -> hf subset -> per-item values whose mean is
    that subset's metric; ``"main_score"`` names the vectors of the task's main score.
    Metrics that are not item means (correlations, NMI, macro F1, ...) have no entry.
    """

    task: str
    subsets: dict[str, dict[str, float]]
    evaluation_time: float
    limit: int | None = None
    per_item: PerItemStore | None = None

    @property
    def main_score(self) -> float:
        """The task score (`pytest_mieb.results.task_score`); NaN where it is missing."""
        return task_score_or_nan(self.subsets)


def run_task(
    spec: TaskSpec,
    embedder: Embedder | Callable[[], Embedder],
    config: RunConfig,
    *,
    model_name: str,
    revision: str | None,
    baseline: Callable[[], Baseline] | None = None,
    on_result: Callable[[TaskResult, bool], None] | None = None,
) -> Outcome:
    """Reuse the saved result or evaluate, write it, gate it; see the module docstring.

    `embedder` is a ready embedder, or a function that makes one: it is called only when the
    task is evaluated (a reused result needs no model). `baseline` gives the loaded baseline
    (the caller's cache; default: load `config.baseline` when a gate needs it).
    `on_result(result, reused)` sees the result before it is written, so a result whose file
    cannot be written (`ResultWriteError`) or whose gate cannot be checked is still seen.
    """
    from pytest_mieb.results.files import load_result, result_path

    saved = result_path(config.results_dir, model_name, revision, spec.name, config.limit)
    reused = saved.is_file() and not config.overwrite
    per_item: PerItemStore | None = None
    gate_items: PerItemStore | None = None
    if reused:
        result = load_result(saved)
    else:
        ready = embedder if hasattr(embedder, "embed") else embedder()  # type: ignore[operator]
        result, per_item, gate_items = _evaluate(spec, ready, config, model_name, revision)
    if on_result is not None:
        on_result(result, reused)
    if not reused:
        write_result_file(result, config.results_dir)
    gates = check_gates(spec, result, config, baseline=baseline, per_item=gate_items)
    return Outcome(result=result, reused=reused, gates=tuple(gates), per_item=per_item)


def _evaluate(
    spec: TaskSpec, embedder: Embedder, config: RunConfig, model_name: str, revision: str | None
) -> tuple[TaskResult, PerItemStore | None, PerItemStore | None]:
    """The result, the per-item values, and those the baseline gate may bootstrap."""
    from pytest_mieb.results.files import TaskResult

    n_bootstrap = config.bootstrap
    scores = evaluate_task(
        spec,
        embedder,
        data_dir=data_dir_for(spec, config),
        limit=config.limit,
        per_item=n_bootstrap is not None,
    )
    subsets = {name: dict(values) for name, values in scores.subsets.items()}
    main_items = (scores.per_item or {}).get("main_score")
    gate_items = None
    if n_bootstrap and main_items:
        from pytest_mieb.results.gates import bootstrap_ci

        gate_items = scores.per_item
        for subset, values in main_items.items():
            low, high = bootstrap_ci(values, n=n_bootstrap, seed=BOOTSTRAP_SEED)
            subsets[subset].update(main_score_ci_low=low, main_score_ci_high=high)
    result = TaskResult.from_evaluation(
        spec,
        subsets,
        model_name=model_name,
        model_revision=revision,
        evaluation_time=scores.evaluation_time,
        limit=config.limit,
    )
    return result, scores.per_item, gate_items


def evaluate_task(
    spec: TaskSpec,
    embedder: Embedder,
    *,
    data_dir: str | Path | None = None,
    limit: int | None = None,
    per_item: bool = False,
) -> TaskScores:
    from pytest_mieb.data import load_task_data
    from pytest_mieb.embed.task_embedder import bind_task
    from pytest_mieb.evaluators import get_evaluator
    from pytest_mieb.evaluators.base import collect_per_item

    evaluate = get_evaluator(spec.protocol)
    start = time.perf_counter()
    data = load_task_data(spec, data_dir=data_dir, limit=limit)
    with collect_per_item() if per_item else nullcontext() as store:
        # Bound to the task once: evaluators say side, subset and split; encoders that take
        # a context learn the task from it (`pytest_mieb.models.context`).
        subsets = evaluate(spec, data, bind_task(embedder, spec))
    elapsed = time.perf_counter() - start
    for subset, scores in subsets.items():
        if "main_score" not in scores:
            raise ValueError(f"{spec.name}: evaluator gave no main_score for subset {subset!r}")
    if store is not None and spec.main_score in store:
        store["main_score"] = store[spec.main_score]
    return TaskScores(
        task=spec.name, subsets=subsets, evaluation_time=elapsed, limit=limit, per_item=store
    )


def write_result_file(result: TaskResult, results_dir: Path) -> None:
    """Write the result file; an OS error becomes one `ResultWriteError` line naming it."""
    from pytest_mieb.results.files import ResultWriteError, path_for, write_result

    try:
        write_result(result, results_dir)
    except OSError as exc:
        raise ResultWriteError(
            f"could not write {path_for(result, results_dir)}: {exc.strerror or exc}"
        ) from exc


def check_gates(
    spec: TaskSpec,
    result: TaskResult,
    config: RunConfig,
    *,
    baseline: Callable[[], Baseline] | None = None,
    per_item: PerItemStore | None = None,
) -> list[GateOutcome]:
    """The minimum-score and baseline outcomes of one result (empty when no gate applies).

    `per_item` (this result's per-item values) turns on the significance mode of the
    baseline gate: it fails only when the whole bootstrap interval lies below the bound.
    """
    from pytest_mieb.results import gates

    outcomes = []
    minimums = {**config.min_scores}
    if spec.min_scores:
        minimums[spec.name] = dict(spec.min_scores)
    if spec.name in minimums and not result.limited:
        # Minimums are set on full runs; a smoke run's sample is not held to them.
        outcomes += gates.check_min_scores([result], minimums)
    if config.baseline is not None:
        n_bootstrap = config.bootstrap
        reference = baseline() if baseline is not None else load_run_baseline(config)
        outcomes += gates.compare_to_baseline(
            [result],
            reference,
            config.max_drop,
            per_item={spec.name: per_item} if per_item else None,
            alpha=BOOTSTRAP_ALPHA if n_bootstrap else None,
            n_bootstrap=n_bootstrap or 1000,
            seed=BOOTSTRAP_SEED,
        )
    return outcomes


def load_run_baseline(config: RunConfig) -> Baseline:
    """The baseline results `config` names (folder or file, and which model in it)."""
    from pytest_mieb.results.gates import load_baseline

    if config.baseline is None:
        raise ValueError("no baseline configured")
    return load_baseline(config.baseline, config.baseline_model)


def data_dir_for(spec: TaskSpec, config: RunConfig) -> Path | None:
    """Where `spec`'s data is read from: the offline suite's generated datasets (made on
    first use) for `mieb_local` tasks, else the configured mirror (None: the Hub)."""
    if LOCAL_MARKER not in spec.markers:
        return config.data_dir
    from pytest_mieb.data import materialize_local_datasets

    root = config.data_dir or local_data_root()
    materialize_local_datasets(root)
    return root


def local_data_root() -> Path:
    """Where the offline suite's generated datasets live when no data dir is given."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "pytest-mieb" / "local-datasets"
