"""One task score, one missing rule: the leaderboard, result files, runs and gates agree."""

from __future__ import annotations

import math

import pytest

from pytest_mieb.results.files import TaskResult, result_from_json, result_to_json
from pytest_mieb.results.task_score import task_score, task_score_or_nan
from pytest_mieb.run import TaskScores

TWO = {"de": {"main_score": 0.2, "accuracy": 0.5}, "fr": {"main_score": 0.6, "accuracy": 1}}


def test_the_task_score_is_the_unweighted_mean_over_subsets() -> None:
    assert task_score(TWO) == pytest.approx(0.4)
    assert task_score(TWO, ["fr"]) == pytest.approx(0.6)
    assert task_score(TWO, metric="accuracy") == pytest.approx(0.75)  # ints count


@pytest.mark.parametrize(
    "scores, subsets",
    [
        ({}, None),  # nothing to average
        (TWO, ["de", "ja"]),  # an expected subset is absent
        ({"de": {"main_score": 0.2}, "fr": {"accuracy": 1.0}}, None),  # a subset lacks it
        ({"de": {"main_score": 0.2}, "fr": {"main_score": None}}, None),  # null in a file
        ({"de": {"main_score": 0.2}, "fr": {"main_score": math.nan}}, None),
        ({"de": {"main_score": 0.2}, "fr": {"main_score": math.inf}}, None),
        ({"de": {"main_score": math.inf}, "fr": {"main_score": -math.inf}}, None),
        ({"de": {"main_score": True}}, None),  # a bool is no score
        ({"de": {"main_score": "0.5"}}, None),
    ],
)
def test_a_score_is_missing_rather_than_a_mean_of_some_subsets(scores, subsets) -> None:
    assert task_score(scores, subsets) is None
    assert math.isnan(task_score_or_nan(scores, subsets))
    assert math.isnan(TaskResult(task_name="T", scores=scores).metric("main_score", subsets))


def test_numpy_scalars_count_as_numbers() -> None:
    np = pytest.importorskip("numpy")
    assert task_score({"a": {"main_score": np.float32(0.5)}}) == 0.5


@pytest.mark.parametrize(
    "scores",
    [
        TWO,
        {"a": {"main_score": 0.1}, "b": {"main_score": 0.2}, "c": {"main_score": 0.3}},
        {"a": {"main_score": math.nan}},
        {"a": {"main_score": math.inf}, "b": {"main_score": 0.5}},
        {},
    ],
)
def test_run_memory_and_file_give_the_same_score(scores) -> None:
    """A run's score, its result's score and the score read back from its file are one."""
    in_run = TaskScores("T", scores, evaluation_time=1.0).main_score
    result = TaskResult(task_name="T", scores=scores)
    from_file = result_from_json(result_to_json(result)).main_score
    expected = task_score(scores)
    for value in (in_run, result.main_score, from_file):
        if expected is None:
            assert math.isnan(value)
        else:
            assert value == pytest.approx(expected, abs=1e-6)
