"""Regression gates: decide from result files whether a run is good enough.

Two kinds of gate, both returning one `GateOutcome` per (task, metric) checked:

- minimum scores: ``{task: min}`` (checks the main score) or ``{task: {metric: min}}``;
- baseline comparison against a results folder or a single result file, with an allowed
  drop ``max_drop`` that is absolute (``0.01``, ``"0.01"``) or relative to the baseline
  value (``"2%"``).

A metric's value for a task is its unweighted mean over the task's subsets, by the rule of
`pytest_mieb.results.task_score` (for the main score: the task score), NaN where that is missing
(a subset without the metric, null, NaN or infinite). Breach rule: ``value < bound`` where bound is
``min`` or ``baseline - allowed_drop``; a difference within 1e-9 of the bound is not a breach,
so float noise in ``0.845 - 0.835`` never fails a 0.01 gate. A NaN value always breaches.

Results of a limited run (``--mieb-limit N``) are only compared with results of the same
limit, never with full ones (and vice versa), nor across dataset revisions: such pairs get the
outcome ``not_comparable``, which is not a failure but says so in one line.

Significance mode (``alpha`` given, per-item values supplied): the new score's two-sided
(1 - alpha) percentile-bootstrap interval is computed from its per-item values, and the gate
fails only when the whole interval lies below the bound, i.e. when its upper end is below
``baseline - allowed_drop``. With ``max_drop=0`` that is "the baseline lies above the upper
confidence bound". Without per-item values for a (task, metric) the plain rule applies and the
outcome's ``detail`` says so.

Per-item values are the vector whose mean is the metric: per test item correctness (0/1) for
accuracy-like metrics, per query values for retrieval metrics (ndcg_at_10, map_at_5,
hit_rate_at_k, recall_at_k, mrr_at_k). For a linear probe the vector is each test item's
correctness averaged over the experiments. A multi-subset task passes ``{subset: vector}``;
the bootstrap (`pytest_mieb.results.bootstrap`) then resamples within each subset and averages
the subset means.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pytest_mieb.results.bootstrap import PerItem, bootstrap_ci
from pytest_mieb.results.files import TaskResult, iter_results
from pytest_mieb.results.task_score import MAIN_SCORE

Status = Literal["ok", "breach", "not_comparable", "no_baseline"]
#: Differences this close to a bound never breach it.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class MaxDrop:
    """An allowed drop: absolute (0-1 scale) or relative (a fraction of the baseline)."""

    amount: float
    relative: bool = False

    def allowed(self, baseline: float) -> float:
        return abs(baseline) * self.amount if self.relative else self.amount

    def describe(self, baseline: float) -> str:
        if self.relative:
            return f"{_fmt(self.amount * 100, 3, strip=True)}% ({_fmt(self.allowed(baseline))})"
        return _fmt(self.amount)


@dataclass(frozen=True)
class GateOutcome:
    task: str
    metric: str
    status: Status
    value: float | None
    bound: float | None
    message: str
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "breach"


def _fmt(value: float, digits: int = 3, strip: bool = False) -> str:
    if math.isnan(value):
        return "nan"
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if strip else text


def parse_max_drop(value: float | str | MaxDrop) -> MaxDrop:
    """``0.01``/``"0.01"`` -> absolute; ``"2%"`` -> relative 0.02. Negative values are refused."""
    if isinstance(value, MaxDrop):
        return value
    relative = False
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"[+]?(\d+(\.\d*)?|\.\d+)%?", text):
            raise ValueError(f"max drop must be a number like 0.01 or like 2%, got {value!r}")
        relative = text.endswith("%")
        amount = float(text.rstrip("%")) / (100 if relative else 1)
    else:
        amount = float(value)
    if not math.isfinite(amount) or amount < 0:
        raise ValueError(f"max drop must be a finite number >= 0, got {value!r}")
    return MaxDrop(amount, relative)


def metric_label(result: TaskResult, metric: str) -> str:
    """The name a message shows: the main metric's own name instead of ``main_score``."""
    return (result.main_score_name or metric) if metric == MAIN_SCORE else metric


def breaches(outcomes: Iterable[GateOutcome]) -> list[GateOutcome]:
    return [outcome for outcome in outcomes if outcome.failed]


# --- minimum scores ------------------------------------------------------------------------


def check_min_scores(
    results: Iterable[TaskResult],
    minimums: Mapping[str, float | Mapping[str, float]],
) -> list[GateOutcome]:
    """One outcome per (result, metric) that has a minimum; tasks without a result are skipped.

    Message of a breach: ``CIFAR10ZeroShot accuracy 0.812 < min 0.850``.
    """
    outcomes = []
    for result in results:
        wanted = minimums.get(result.task_name)
        if wanted is None:
            continue
        per_metric = wanted if isinstance(wanted, Mapping) else {MAIN_SCORE: wanted}
        for metric, minimum in per_metric.items():
            value = result.metric(metric)
            label = metric_label(result, metric)
            failed = math.isnan(value) or value < float(minimum) - TOLERANCE
            relation = "<" if failed else ">="
            outcomes.append(
                GateOutcome(
                    task=result.task_name,
                    metric=label,
                    status="breach" if failed else "ok",
                    value=value,
                    bound=float(minimum),
                    message=f"{result.task_name} {label} {_fmt(value)} {relation} min "
                    f"{_fmt(float(minimum))}",
                )
            )
    return outcomes


# --- baselines -----------------------------------------------------------------------------


def load_baseline(
    path: str | os.PathLike[str], model: str | None = None
) -> dict[tuple[str, int | None], TaskResult]:
    """Baseline results keyed by (task, limit), from a results folder or one result file.

    A folder holding several models (or revisions) needs ``model`` (a name, or
    ``name@revision``) to say which one is the baseline.
    """
    results = list(iter_results(Path(path)))
    if not results:
        raise ValueError(f"no task results found in baseline {path}")
    if model is not None:
        results = [r for r in results if model in (r.model_name, _named(r))]
        if not results:
            raise ValueError(f"baseline {path} has no results of {model!r}")
    identities = sorted({_named(r) for r in results})
    if len(identities) > 1:
        raise ValueError(
            f"baseline {path} holds several models; pass model= one of: {', '.join(identities)}"
        )
    keyed: dict[tuple[str, int | None], TaskResult] = {}
    for result in results:
        key = (result.task_name, result.limit)
        if key not in keyed or (result.date or 0) >= (keyed[key].date or 0):
            keyed[key] = result
    return keyed


def _named(result: TaskResult) -> str:
    return f"{result.model_name}@{result.model_revision}"


def _find_baseline(
    result: TaskResult, baseline: Mapping[tuple[str, int | None], TaskResult]
) -> tuple[TaskResult | None, str]:
    """The comparable baseline of a result, or None and why not."""
    same = baseline.get((result.task_name, result.limit))
    others = sorted(
        (lim for task, lim in baseline if task == result.task_name and lim != result.limit),
        key=lambda lim: -1 if lim is None else lim,
    )
    if same is None:
        if not others:
            return None, "no baseline"
        theirs = ", ".join("full run" if lim is None else f"limit {lim}" for lim in others)
        ours = "full run" if result.limit is None else f"limit {result.limit}"
        return None, f"not comparable: result is a {ours}, baseline is a {theirs}"
    if (
        same.dataset_revision
        and result.dataset_revision
        and same.dataset_revision != result.dataset_revision
    ):
        return None, (
            f"not comparable: dataset revision {result.dataset_revision} "
            f"vs baseline {same.dataset_revision}"
        )
    return same, ""


def compare_to_baseline(
    results: Iterable[TaskResult],
    baseline: Mapping[tuple[str, int | None], TaskResult] | str | os.PathLike[str],
    max_drop: float | str | MaxDrop = 0.0,
    *,
    metrics: Sequence[str] = (MAIN_SCORE,),
    baseline_model: str | None = None,
    per_item: Mapping[str, Mapping[str, PerItem]] | None = None,
    alpha: float | None = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
) -> list[GateOutcome]:
    """One outcome per (result, metric): ok, breach, not_comparable or no_baseline.

    Breach message: ``CIFAR10ZeroShot accuracy 0.812 < baseline 0.845 - 0.010`` (relative:
    ``... - 2% (0.017)``; significance mode adds the interval after the value).
    ``per_item`` maps task -> metric -> per-item values (see the module docstring); it is
    used only when ``alpha`` is given, which must lie in (0, 1) (refused otherwise, with or
    without per-item values).
    """
    if alpha is not None and not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if not isinstance(baseline, Mapping):
        baseline = load_baseline(baseline, baseline_model)
    drop = parse_max_drop(max_drop)
    outcomes = []
    for result in results:
        reference, why_not = _find_baseline(result, baseline)
        for metric in metrics:
            label = metric_label(result, metric)
            value = result.metric(metric)
            if reference is None:
                status: Status = "no_baseline" if why_not == "no baseline" else "not_comparable"
                outcomes.append(
                    GateOutcome(
                        task=result.task_name,
                        metric=label,
                        status=status,
                        value=value,
                        bound=None,
                        message=f"{result.task_name} {label}: {why_not}",
                    )
                )
                continue
            outcomes.append(
                _compare_one(
                    result,
                    label,
                    value,
                    reference.metric(metric),
                    drop,
                    _items_for(per_item, result.task_name, metric, label) if alpha else None,
                    alpha,
                    n_bootstrap,
                    seed,
                )
            )
    return outcomes


def _items_for(
    per_item: Mapping[str, Mapping[str, PerItem]] | None, task: str, metric: str, label: str
) -> PerItem | None:
    if not per_item or task not in per_item:
        return None
    metrics = per_item[task]
    return metrics.get(metric, metrics.get(label))


def _compare_one(
    result: TaskResult,
    label: str,
    value: float,
    base: float,
    drop: MaxDrop,
    items: PerItem | None,
    alpha: float | None,
    n_bootstrap: int,
    seed: int,
) -> GateOutcome:
    task = result.task_name
    if math.isnan(base):
        message = f"{task} {label}: baseline has no value"
        return GateOutcome(task, label, "no_baseline", value, None, message)
    bound = base - drop.allowed(base)
    rule = f"baseline {_fmt(base)} - {drop.describe(base)}"
    shown, detail = _fmt(value), ""
    if alpha is not None and items is not None and not math.isnan(value):
        low, high = bootstrap_ci(items, n=n_bootstrap, seed=seed, alpha=alpha)
        failed = math.isnan(value) or high < bound - TOLERANCE
        shown += f" ({_fmt(100 * (1 - alpha), 3, strip=True)}% CI {_fmt(low)}-{_fmt(high)})"
    else:
        failed = math.isnan(value) or value < bound - TOLERANCE
        if alpha is not None:
            detail = "no per-item values: plain threshold applied"
    relation = "<" if failed else ">="
    return GateOutcome(
        task=task,
        metric=label,
        status="breach" if failed else "ok",
        value=value,
        bound=bound,
        message=f"{task} {label} {shown} {relation} {rule}",
        detail=detail,
    )


def summarize(outcomes: Sequence[GateOutcome]) -> str:
    """One line per breach and per not-comparable pair, then a count line."""
    lines = [o.message for o in outcomes if o.status in ("breach", "not_comparable")]
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    lines.append(", ".join(f"{counts[s]} {s}" for s in sorted(counts)) or "nothing checked")
    return "\n".join(lines)


def outcomes_to_json(outcomes: Sequence[GateOutcome]) -> list[dict[str, Any]]:
    return [
        {
            "task": o.task,
            "metric": o.metric,
            "status": o.status,
            "value": None if o.value is None or math.isnan(o.value) else o.value,
            "bound": o.bound,
            "message": o.message,
            "detail": o.detail,
        }
        for o in outcomes
    ]
