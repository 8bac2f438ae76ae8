"""Baseline comparison rules that the message and outcome tests did not pin down: defaults,
the exact outcome of every status, the order in which incomparable baselines are named, and
the refusal of an alpha outside (0, 1) (found by mutation testing, see docs/testing.md)."""

from __future__ import annotations

import pytest
from gate_fakes import baseline_of, result

from pytest_mieb.results import gates
from pytest_mieb.results.bootstrap import bootstrap_ci
from pytest_mieb.results.files import write_result


def test_without_a_max_drop_no_drop_at_all_is_allowed() -> None:
    (outcome,) = gates.compare_to_baseline([result("T", 0.84)], baseline_of(result("T", 0.845)))
    assert outcome.failed
    assert outcome.message == "T accuracy 0.840 < baseline 0.845 - 0.000"


def test_a_value_exactly_one_tolerance_below_the_baseline_bound_is_not_a_breach() -> None:
    value = 0.85 - gates.TOLERANCE
    (outcome,) = gates.compare_to_baseline([result("T", value)], baseline_of(result("T", 0.85)))
    assert outcome == gates.GateOutcome(
        "T", "accuracy", "ok", value, 0.85, "T accuracy 0.850 >= baseline 0.850 - 0.000"
    )


def test_without_per_item_values_the_detail_names_the_plain_threshold() -> None:
    (outcome,) = gates.compare_to_baseline(
        [result("T", 0.9)], baseline_of(result("T", 0.8)), 0.0, alpha=0.05
    )
    assert outcome.status == "ok"
    assert outcome.detail == "no per-item values: plain threshold applied"


def test_significance_mode_defaults_to_1000_resamples_with_seed_0() -> None:
    # items for which 1001 resamples, or seed 1, move the interval in the third decimal
    items = [0.7, 0.29, 0.32, 0.12, 0.24, 0.6]
    low, high = bootstrap_ci(items, n=1000, seed=0, alpha=0.05)
    (outcome,) = gates.compare_to_baseline(
        [result("T", sum(items) / len(items))],
        baseline_of(result("T", 0.3)),
        0.0,
        per_item={"T": {"accuracy": items}},
        alpha=0.05,
    )
    assert outcome.message == (
        f"T accuracy 0.378 (95% CI {low:.3f}-{high:.3f}) >= baseline 0.300 - 0.000"
    )


def test_the_confidence_level_is_shown_with_at_most_three_decimals() -> None:
    items = [0.2, 0.4, 0.6]
    (outcome,) = gates.compare_to_baseline(
        [result("T", 0.4)],
        baseline_of(result("T", 0.1)),
        0.0,
        per_item={"T": {"accuracy": items}},
        alpha=1 / 3,  # a 66.666...% interval
    )
    assert outcome.message.startswith("T accuracy 0.400 (66.667% CI ")


@pytest.mark.parametrize("alpha", [0, 0.0, 1, 1.5, -0.05])
def test_an_alpha_outside_0_1_is_refused_with_or_without_per_item_values(alpha) -> None:
    # alpha=0 used to switch significance mode off silently and claim "no per-item values"
    for per_item in (None, {"T": {"accuracy": [0.5, 0.6]}}):
        with pytest.raises(ValueError, match=r"^alpha must be in \(0, 1\), got "):
            gates.compare_to_baseline(
                [result("T", 0.55)],
                baseline_of(result("T", 0.5)),
                0.0,
                per_item=per_item,
                alpha=alpha,
            )


def test_every_metric_of_a_result_without_baseline_gets_its_own_outcome() -> None:
    outcomes = gates.compare_to_baseline(
        [result("T", 0.9, f1=0.5), result("U", 0.7)],
        baseline_of(result("U", 0.7)),
        0.0,
        metrics=["main_score", "f1"],
    )
    assert outcomes[:2] == [
        gates.GateOutcome("T", "accuracy", "no_baseline", 0.9, None, "T accuracy: no baseline"),
        gates.GateOutcome("T", "f1", "no_baseline", 0.5, None, "T f1: no baseline"),
    ]
    assert [(o.task, o.metric, o.status) for o in outcomes[2:]] == [
        ("U", "accuracy", "ok"),
        ("U", "f1", "no_baseline"),
    ]


def test_incomparable_baselines_are_named_full_run_first_then_by_limit() -> None:
    baseline = baseline_of(result("T", 0.9, limit=200), result("T", 0.9, limit=1), result("T", 0.9))
    (outcome,) = gates.compare_to_baseline([result("T", 0.5, limit=50)], baseline, 0.0)
    assert outcome == gates.GateOutcome(
        "T",
        "accuracy",
        "not_comparable",
        0.5,
        None,
        "T accuracy: not comparable: result is a limit 50, "
        "baseline is a full run, limit 1, limit 200",
    )


def test_baselines_of_other_tasks_never_make_a_result_incomparable() -> None:
    baseline = baseline_of(result("U", 0.9, limit=10), result("U", 0.9))
    (outcome,) = gates.compare_to_baseline([result("T", 0.5)], baseline, 0.0)
    assert (outcome.status, outcome.message) == ("no_baseline", "T accuracy: no baseline")


def test_the_baseline_model_is_chosen_in_a_folder_given_by_path(tmp_path) -> None:
    write_result(result("T", 0.5, model="m/one"), tmp_path)
    write_result(result("T", 0.9, model="m/two"), tmp_path)
    (outcome,) = gates.compare_to_baseline(
        [result("T", 0.6)], tmp_path, 0.05, baseline_model="m/one"
    )
    assert (outcome.status, outcome.message) == (
        "ok",
        "T accuracy 0.600 >= baseline 0.500 - 0.050",
    )
