"""Regression gates: minimum scores, baselines (absolute, relative, significance), bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from gate_fakes import baseline_of, result

from pytest_mieb.results import gates
from pytest_mieb.results.bootstrap import bootstrap_ci
from pytest_mieb.results.files import TaskResult, write_result


def test_planted_regression_gives_the_exact_one_line_message() -> None:
    outcomes = gates.compare_to_baseline(
        [result("CIFAR10ZeroShot", 0.812)], baseline_of(result("CIFAR10ZeroShot", 0.845)), 0.01
    )
    (outcome,) = outcomes
    assert outcome.failed and outcome.status == "breach"
    assert outcome.message == "CIFAR10ZeroShot accuracy 0.812 < baseline 0.845 - 0.010"
    assert outcome.bound == pytest.approx(0.835)
    assert gates.breaches(outcomes) == outcomes


def test_a_drop_within_the_allowance_passes_and_the_boundary_is_not_a_breach() -> None:
    base = baseline_of(result("T", 0.845))
    (near,) = gates.compare_to_baseline([result("T", 0.84)], base, "0.01")
    assert near.status == "ok"
    assert near.message == "T accuracy 0.840 >= baseline 0.845 - 0.010"
    # 0.845 - 0.835 is 0.010000000000000009 in floats: still exactly the allowed drop
    (edge,) = gates.compare_to_baseline([result("T", 0.835)], base, 0.01)
    assert edge.status == "ok"
    (over,) = gates.compare_to_baseline([result("T", 0.8349)], base, 0.01)
    assert over.failed


def test_relative_drop_is_a_fraction_of_the_baseline_value() -> None:
    base = baseline_of(result("T", 0.850))
    (ok,) = gates.compare_to_baseline([result("T", 0.834)], base, "2%")  # bound 0.833
    assert ok.status == "ok"
    (bad,) = gates.compare_to_baseline([result("T", 0.832)], base, "2%")
    assert bad.message == "T accuracy 0.832 < baseline 0.850 - 2% (0.017)"


def test_other_metrics_are_gated_by_name() -> None:
    new = result("T", 0.9, f1=0.5)
    old = result("T", 0.9, f1=0.7)
    outcomes = gates.compare_to_baseline(
        [new], baseline_of(old), 0.05, metrics=["main_score", "f1"]
    )
    assert [(o.metric, o.status) for o in outcomes] == [("accuracy", "ok"), ("f1", "breach")]
    assert outcomes[1].message == "T f1 0.500 < baseline 0.700 - 0.050"


def test_nan_scores_always_breach() -> None:
    (outcome,) = gates.compare_to_baseline(
        [result("T", float("nan"))], baseline_of(result("T", 0.5)), 0.5
    )
    assert outcome.failed and outcome.message == "T accuracy nan < baseline 0.500 - 0.500"


def test_limited_and_full_results_are_never_compared() -> None:
    (limited_vs_full,) = gates.compare_to_baseline(
        [result("T", 0.1, limit=100)], baseline_of(result("T", 0.9)), 0.01
    )
    assert limited_vs_full.status == "not_comparable" and not limited_vs_full.failed
    assert limited_vs_full.message == (
        "T accuracy: not comparable: result is a limit 100, baseline is a full run"
    )
    (full_vs_limited,) = gates.compare_to_baseline(
        [result("T", 0.1)], baseline_of(result("T", 0.9, limit=100)), 0.01
    )
    assert full_vs_limited.status == "not_comparable"
    assert "result is a full run, baseline is a limit 100" in full_vs_limited.message
    (same_limit,) = gates.compare_to_baseline(
        [result("T", 0.1, limit=100)], baseline_of(result("T", 0.9, limit=100)), 0.01
    )
    assert same_limit.failed


def test_other_dataset_revisions_and_missing_baselines_are_reported_not_failed() -> None:
    moved = TaskResult(
        task_name="T", scores={"default": {"main_score": 0.1}}, dataset_revision="d2"
    )
    outcomes = gates.compare_to_baseline(
        [moved, result("New", 0.5)], baseline_of(result("T", 0.9)), 0.01
    )
    assert [o.status for o in outcomes] == ["not_comparable", "no_baseline"]
    assert "dataset revision d2 vs baseline d1" in outcomes[0].message
    assert not gates.breaches(outcomes)


def test_baseline_from_a_folder_or_a_single_file(tmp_path) -> None:
    path = write_result(result("CIFAR10ZeroShot", 0.845, model="m/old"), tmp_path / "base")
    write_result(result("DTD", 0.5, model="m/old"), tmp_path / "base")
    new = [result("CIFAR10ZeroShot", 0.812), result("DTD", 0.6)]
    from_dir = gates.compare_to_baseline(new, tmp_path / "base", 0.01)
    assert [o.status for o in from_dir] == ["breach", "ok"]
    from_file = gates.compare_to_baseline(new, path, 0.01)
    assert [o.status for o in from_file] == ["breach", "no_baseline"]


def test_a_baseline_folder_with_several_models_needs_a_choice(tmp_path) -> None:
    write_result(result("T", 0.5, model="m/one"), tmp_path)
    write_result(result("T", 0.9, model="m/two"), tmp_path)
    with pytest.raises(ValueError, match="several models"):
        gates.load_baseline(tmp_path)
    chosen = gates.load_baseline(tmp_path, model="m/two")
    assert chosen[("T", None)].main_score == 0.9
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no task results"):
        gates.load_baseline(empty)


def test_minimum_scores_for_the_main_score_or_named_metrics() -> None:
    runs = [result("CIFAR10ZeroShot", 0.812, f1=0.7), result("DTD", 0.9)]
    outcomes = gates.check_min_scores(
        runs, {"CIFAR10ZeroShot": 0.85, "DTD": {"accuracy": 0.5, "f1": 0.1}, "Absent": 0.1}
    )
    messages = [(o.status, o.message) for o in outcomes]
    assert messages == [
        ("breach", "CIFAR10ZeroShot accuracy 0.812 < min 0.850"),
        ("ok", "DTD accuracy 0.900 >= min 0.500"),
        ("breach", "DTD f1 nan < min 0.100"),  # a metric the result does not have
    ]


@pytest.mark.parametrize("bad", ["-0.1", "abc", "2%%", "", float("inf"), -1])
def test_invalid_max_drop_is_refused(bad) -> None:
    with pytest.raises(ValueError, match="max drop"):
        gates.parse_max_drop(bad)


def test_max_drop_parsing() -> None:
    assert gates.parse_max_drop("2%") == gates.MaxDrop(0.02, relative=True)
    assert gates.parse_max_drop(" 0.01 ") == gates.MaxDrop(0.01)
    assert gates.parse_max_drop(0) == gates.MaxDrop(0.0)


# --- bootstrap ------------------------------------------------------------------------------


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    values = np.random.default_rng(1).random(300)
    first = bootstrap_ci(values, n=500, seed=7)
    assert bootstrap_ci(values, n=500, seed=7) == first
    assert bootstrap_ci(values, n=500, seed=8) != first
    low, high = first
    assert low < values.mean() < high


def test_bootstrap_of_constant_values_is_a_point() -> None:
    assert bootstrap_ci([1.0] * 20, n=100) == (1.0, 1.0)
    # stratified: subset means 1 and 0 never move, so the task mean is exactly 0.5
    assert bootstrap_ci({"de": [1, 1, 1], "fr": [0, 0]}, n=100) == (0.5, 0.5)


def test_bootstrap_interval_covers_the_true_mean_about_as_often_as_promised() -> None:
    rng = np.random.default_rng(0)
    p, hits, repeats = 0.7, 0, 200
    for seed in range(repeats):
        sample = (rng.random(200) < p).astype(float)
        low, high = bootstrap_ci(sample, n=400, seed=seed, alpha=0.1)
        hits += low <= p <= high
    assert 0.82 <= hits / repeats <= 0.97  # nominal 90%


def test_bootstrap_width_shrinks_with_more_items() -> None:
    rng = np.random.default_rng(2)
    small = bootstrap_ci(rng.random(50), n=400, seed=0)
    large = bootstrap_ci(rng.random(5000), n=400, seed=0)
    assert large[1] - large[0] < (small[1] - small[0]) / 4


def test_bootstrap_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="alpha"):
        bootstrap_ci([1.0], alpha=1.5)
    with pytest.raises(ValueError, match="at least one"):
        bootstrap_ci([])
    with pytest.raises(ValueError, match="finite"):
        bootstrap_ci([1.0, float("nan")])


def test_significance_mode_fails_only_significant_drops() -> None:
    base = baseline_of(result("T", 0.80))
    # 100 items, 77% correct: 3 points below the baseline, but well within the noise
    noisy = (np.arange(100) < 77).astype(float)
    (outcome,) = gates.compare_to_baseline(
        [result("T", noisy.mean())], base, 0.0, alpha=0.05, per_item={"T": {"accuracy": noisy}}
    )
    assert outcome.status == "ok"
    assert outcome.message.startswith("T accuracy 0.770 (95% CI 0.")
    # 10,000 items, 70% correct: a real drop
    clear = (np.arange(10_000) < 7_000).astype(float)
    (outcome,) = gates.compare_to_baseline(
        [result("T", clear.mean())], base, 0.0, alpha=0.05, per_item={"T": {"main_score": clear}}
    )
    assert outcome.failed
    assert outcome.message.startswith(
        "T accuracy 0.700 (95% CI 0.6"
    )  # per-item values under main_score
    assert outcome.message.endswith("< baseline 0.800 - 0.000")
    # the plain rule would have failed the noisy case
    (plain,) = gates.compare_to_baseline([result("T", noisy.mean())], base, 0.0)
    assert plain.failed


def test_significance_mode_without_per_item_values_falls_back_and_says_so() -> None:
    (outcome,) = gates.compare_to_baseline(
        [result("T", 0.7)], baseline_of(result("T", 0.8)), 0.0, alpha=0.05
    )
    assert outcome.failed and "plain threshold" in outcome.detail


def test_summary_lists_breaches_and_counts() -> None:
    outcomes = gates.compare_to_baseline(
        [result("A", 0.1), result("B", 0.9), result("C", 0.1, limit=5)],
        baseline_of(result("A", 0.9), result("B", 0.9), result("C", 0.9)),
        0.01,
    )
    lines = gates.summarize(outcomes).splitlines()
    assert lines[0] == "A accuracy 0.100 < baseline 0.900 - 0.010"
    assert lines[1].startswith("C accuracy: not comparable")
    assert lines[2] == "1 breach, 1 not_comparable, 1 ok"
    assert gates.outcomes_to_json(outcomes)[0]["status"] == "breach"
