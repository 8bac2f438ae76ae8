"""The spine without pytest: `run_task` evaluates or reuses, writes, gates, and hands the
per-item vectors to the baseline gate itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_mieb.embed.embedder import Embedder
from pytest_mieb.models import load_encoder
from pytest_mieb.results.files import TaskResult, path_for
from pytest_mieb.run import GateFailure, RunConfig, run_task
from pytest_mieb.tasks.index import load_all_specs

TASK = "LocalDigitsZeroShot"


@pytest.fixture(scope="module")
def local_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pytest_mieb.data import materialize_local_datasets

    root = tmp_path_factory.mktemp("local-data")
    materialize_local_datasets(root)
    return root


@pytest.fixture(scope="module")
def spec():
    return load_all_specs()[TASK]


def pixels() -> Embedder:
    return Embedder(load_encoder("baseline/pixels"))


def test_a_task_is_evaluated_seen_written_and_then_reused(
    spec, local_data: Path, tmp_path: Path
) -> None:
    config = RunConfig(results_dir=tmp_path / "results", data_dir=local_data)
    seen: list[tuple[str, bool, bool]] = []

    def on_result(result: TaskResult, reused: bool) -> None:
        seen.append((result.task_name, reused, path_for(result, config.results_dir).is_file()))

    first = run_task(spec, pixels(), config, model_name="m", revision="1", on_result=on_result)
    assert not first.reused and first.gates == () and first.per_item is None
    assert seen == [(TASK, False, False)]  # seen before its file was written
    assert path_for(first.result, config.results_dir).is_file()

    def no_model() -> Embedder:
        raise AssertionError("a saved result needs no model")

    again = run_task(spec, no_model, config, model_name="m", revision="1", on_result=on_result)
    assert again.reused and again.per_item is None and seen[-1] == (TASK, True, True)
    assert again.result.main_score == pytest.approx(first.result.main_score, abs=1e-6)


def test_gates_are_checked_with_the_vectors_of_this_evaluation(
    spec, local_data: Path, tmp_path: Path
) -> None:
    baseline = RunConfig(results_dir=tmp_path / "baseline", data_dir=local_data)
    run_task(spec, pixels(), baseline, model_name="m", revision="1")
    config = RunConfig(
        results_dir=tmp_path / "new",
        data_dir=local_data,
        bootstrap=200,
        baseline=tmp_path / "baseline",
        min_scores={TASK: 0.99},
    )
    outcome = run_task(spec, pixels, config, model_name="m", revision="1")
    assert [o.status for o in outcome.gates] == ["breach", "ok"]  # min score; same as baseline
    assert "95% CI" in outcome.gates[1].message  # the vectors reached the baseline gate
    vectors = outcome.per_item["main_score"]["default"]
    assert vectors.mean() == pytest.approx(outcome.result.main_score, abs=1e-6)
    scores = outcome.result.scores["default"]
    assert scores["main_score_ci_low"] <= scores["main_score"] <= scores["main_score_ci_high"]
    failure = outcome.gate_failure()
    assert isinstance(failure, GateFailure)
    assert str(failure).startswith(f"{TASK} accuracy ") and "< min 0.990" in str(failure)
