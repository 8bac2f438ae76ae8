"""Regression gates at their edges: exact refusals, what a baseline folder resolves to, bounds.

Written against mutants the rest of the suite let through (docs/testing.md).
"""

from __future__ import annotations

import re

import pytest

from pytest_mieb.results import gates
from pytest_mieb.results.bootstrap import bootstrap_ci
from pytest_mieb.results.files import TaskResult, write_result


def result(task: str, score: float, *, model: str = "m/new", **fields) -> TaskResult:
    return TaskResult(
        task_name=task,
        scores={"default": {"accuracy": score, "main_score": score}},
        model_name=model,
        main_score_name="accuracy",
        dataset_revision="d1",
        **fields,
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("abc", "max drop must be a number like 0.01 or like 2%, got 'abc'"),
        ("-1%", "max drop must be a number like 0.01 or like 2%, got '-1%'"),
        (-0.5, "max drop must be a finite number >= 0, got -0.5"),
        (float("nan"), "max drop must be a finite number >= 0, got nan"),
    ],
)
def test_refused_max_drops_are_quoted(bad, message) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        gates.parse_max_drop(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+0.5", gates.MaxDrop(0.5)),
        (".25", gates.MaxDrop(0.25)),
        ("3.", gates.MaxDrop(3.0)),
        ("0%", gates.MaxDrop(0.0, relative=True)),
        ("12.5%", gates.MaxDrop(0.125, relative=True)),
    ],
)
def test_accepted_max_drop_spellings(text, expected) -> None:
    assert gates.parse_max_drop(text) == expected
    assert gates.parse_max_drop(expected) is expected


def test_a_zero_drop_is_allowed_and_the_bound_is_the_baseline() -> None:
    (outcome,) = gates.compare_to_baseline([result("T", 0.5)], {("T", None): result("T", 0.5)}, 0)
    assert outcome.status == "ok" and outcome.bound == 0.5 and outcome.detail == ""
    assert outcome.message == "T accuracy 0.500 >= baseline 0.500 - 0.000"


def test_relative_drop_shows_up_to_three_decimals_of_the_percentage() -> None:
    drop = gates.parse_max_drop("1.23456%")
    assert drop.describe(0.8) == "1.235% (0.010)"
    assert gates.parse_max_drop("2.50%").describe(0.8) == "2.5% (0.020)"


def test_relative_drop_of_a_negative_baseline_is_still_a_drop() -> None:
    drop = gates.parse_max_drop("10%")
    assert drop.allowed(-0.5) == pytest.approx(0.05)


def test_baseline_folder_errors_name_the_folder_and_the_choices(tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(
        ValueError, match=f"^no task results found in baseline {re.escape(str(empty))}$"
    ):
        gates.load_baseline(empty)
    write_result(result("T", 0.5, model="m/one"), tmp_path / "base")
    write_result(result("T", 0.9, model="m/two", model_revision="r2"), tmp_path / "base")
    with pytest.raises(
        ValueError,
        match=re.escape(
            f"baseline {tmp_path / 'base'} holds several models; pass model= one of: "
            "m/one@no_revision_available, m/two@r2"
        ),
    ):
        gates.load_baseline(tmp_path / "base")
    with pytest.raises(
        ValueError, match=re.escape(f"baseline {tmp_path / 'base'} has no results of 'm/three'")
    ):
        gates.load_baseline(tmp_path / "base", model="m/three")
    chosen = gates.load_baseline(tmp_path / "base", model="m/two@r2")
    assert chosen[("T", None)].main_score == 0.9


def test_the_newest_of_several_results_for_a_task_is_the_baseline(tmp_path) -> None:
    write_result(result("T", 0.1, date=300.0), tmp_path / "a")
    write_result(result("T", 0.7, date=500.0), tmp_path / "b")
    write_result(result("T", 0.3, date=100.0), tmp_path / "c")
    assert gates.load_baseline(tmp_path)[("T", None)].main_score == 0.7


def test_of_equally_dated_results_the_one_read_last_is_the_baseline(tmp_path) -> None:
    write_result(result("T", 0.1, date=300.0), tmp_path / "a")
    write_result(result("T", 0.7, date=300.0), tmp_path / "b")
    assert gates.load_baseline(tmp_path)[("T", None)].main_score == 0.7


def test_a_baseline_without_a_value_is_reported_as_no_baseline() -> None:
    nan = float("nan")
    undefined = TaskResult(
        task_name="T",
        scores={"default": {"accuracy": nan, "main_score": nan}},
        model_name="m/old",
        main_score_name="accuracy",
        dataset_revision="d1",
    )
    (outcome,) = gates.compare_to_baseline([result("T", 0.5)], {("T", None): undefined}, 0.01)
    assert outcome == gates.GateOutcome(
        "T", "accuracy", "no_baseline", 0.5, None, "T accuracy: baseline has no value"
    )


def test_bootstrap_refusals_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"^alpha must be in \(0, 1\), got 0$"):
        gates.bootstrap_ci([1.0], alpha=0)
    with pytest.raises(ValueError, match=r"^alpha must be in \(0, 1\), got 1$"):
        gates.bootstrap_ci([1.0], alpha=1)
    with pytest.raises(ValueError, match=r"^n must be >= 1, got 0$"):
        gates.bootstrap_ci([1.0], n=0)
    assert gates.bootstrap_ci([1.0], n=1) == (1.0, 1.0)
    with pytest.raises(ValueError, match=r"^bootstrap needs at least one value per group$"):
        gates.bootstrap_ci({"a": [1.0], "b": []})
    with pytest.raises(ValueError, match=r"^bootstrap needs at least one value per group$"):
        gates.bootstrap_ci({})
    with pytest.raises(ValueError, match=r"^bootstrap values must be finite$"):
        gates.bootstrap_ci({"a": [1.0], "b": [float("inf")]})


def test_summary_of_nothing_says_so() -> None:
    assert gates.summarize([]) == "nothing checked"


def test_a_task_without_a_minimum_does_not_end_the_checks_of_the_others() -> None:
    outcomes = gates.check_min_scores([result("A", 0.1), result("B", 0.9)], {"B": 0.8})
    assert [(o.task, o.status) for o in outcomes] == [("B", "ok")]


def test_a_value_exactly_one_tolerance_below_the_minimum_is_not_a_breach() -> None:
    minimum = 0.85
    (outcome,) = gates.check_min_scores([result("T", minimum - gates.TOLERANCE)], {"T": minimum})
    assert outcome == gates.GateOutcome(
        "T", "accuracy", "ok", minimum - gates.TOLERANCE, minimum, "T accuracy 0.850 >= min 0.850"
    )


def test_outcomes_as_json_keep_every_field_and_write_undefined_values_as_null() -> None:
    outcomes = [
        gates.GateOutcome("T", "accuracy", "breach", float("nan"), 0.5, "T ... < min", "d"),
        gates.GateOutcome("U", "ndcg_at_10", "not_comparable", None, None, "U ...", ""),
        gates.GateOutcome("V", "accuracy", "ok", 0.75, 0.5, "V ok"),
    ]
    assert gates.outcomes_to_json(outcomes) == [
        {
            "task": "T",
            "metric": "accuracy",
            "status": "breach",
            "value": None,
            "bound": 0.5,
            "message": "T ... < min",
            "detail": "d",
        },
        {
            "task": "U",
            "metric": "ndcg_at_10",
            "status": "not_comparable",
            "value": None,
            "bound": None,
            "message": "U ...",
            "detail": "",
        },
        {
            "task": "V",
            "metric": "accuracy",
            "status": "ok",
            "value": 0.75,
            "bound": 0.5,
            "message": "V ok",
            "detail": "",
        },
    ]


def test_summary_counts_outcomes_of_one_status_together() -> None:
    outcomes = gates.check_min_scores(
        [result("A", 0.9), result("B", 0.9), result("C", 0.1)], {"A": 0.5, "B": 0.5, "C": 0.5}
    )
    assert gates.summarize(outcomes) == "C accuracy 0.100 < min 0.500\n1 breach, 2 ok"


def test_significance_mode_uses_the_given_resamples_seed_and_alpha() -> None:
    items = [0.13, 0.91, 0.47, 0.66, 0.05, 0.88, 0.72, 0.31, 0.99, 0.58]
    low, high = bootstrap_ci(items, n=200, seed=7, alpha=0.1)
    (outcome,) = gates.compare_to_baseline(
        [result("T", 0.7)],
        {("T", None): result("T", 0.7)},
        0.0,
        per_item={"T": {"accuracy": items}},
        alpha=0.1,
        n_bootstrap=200,
        seed=7,
    )
    assert outcome.message.startswith(f"T accuracy 0.700 (90% CI {low:.3f}-{high:.3f}) ")
    assert outcome.detail == ""


@pytest.mark.parametrize(("offset", "status"), [(0.0, "ok"), (gates.TOLERANCE, "ok")])
def test_significance_mode_breaches_only_below_the_bound_minus_the_tolerance(offset, status):
    value = 0.8 - offset  # every item the same: the interval is [value, value]
    (outcome,) = gates.compare_to_baseline(
        [result("T", value)],
        {("T", None): result("T", 0.8)},
        0.0,
        per_item={"T": {"accuracy": [value, value]}},
        alpha=0.05,
    )
    assert outcome.status == status
