"""A gate breach fails its item with exactly one line: the gate's message, nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from plugin_runs import Reports, assert_ran, result_files, run

TASKS = "LocalDigitsZeroShot,LocalScenesT2IRetrieval"
ZERO_SHOT = "LocalDigitsZeroShot[baseline/pixels]"
RETRIEVAL = "LocalScenesT2IRetrieval[baseline/pixels]"


def score(results: Path, task: str, metric: str = "main_score") -> float:
    return result_files(results)[task]["scores"]["test"][0][metric]


@pytest.mark.usefixtures("offline_env")
def test_min_score_breaches_fail_with_exactly_the_gate_line(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    pytester.makepyprojecttoml(
        """
        [tool.pytest_mieb.min_scores]
        LocalDigitsZeroShot = 0.99
        LocalScenesT2IRetrieval = { ndcg_at_10 = 0.99, map_at_10 = 0.0, recall_at_3 = 0.999 }
        """
    )
    reports = Reports()
    result = run(
        pytester, local_data, "--mieb-model=baseline/pixels", "--mieb-tasks", TASKS,
        plugins=(reports,),
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert_ran(result, failed=2)
    results = pytester.path / "results"
    accuracy = score(results, "LocalDigitsZeroShot", "accuracy")
    ndcg = score(results, "LocalScenesT2IRetrieval", "ndcg_at_10")
    recall = score(results, "LocalScenesT2IRetrieval", "recall_at_3")
    assert accuracy < 0.99 and ndcg < 0.99 and recall < 0.999
    assert reports.failures == {
        ZERO_SHOT: f"GateFailure: LocalDigitsZeroShot accuracy {accuracy:.3f} < min 0.990",
        RETRIEVAL: (
            f"GateFailure: LocalScenesT2IRetrieval ndcg_at_10 {ndcg:.3f} < min 0.990; "
            f"LocalScenesT2IRetrieval recall_at_3 {recall:.3f} < min 0.999"
        ),
    }


def plant(results: Path, task: str, main_score: float, metric: str) -> None:
    """Make a saved result claim `main_score` (and the same for its main metric)."""
    path = next(results.rglob(f"{task}.json"))
    data = json.loads(path.read_text())
    data["scores"]["test"][0]["main_score"] = data["scores"]["test"][0][metric] = main_score
    path.write_text(json.dumps(data))


@pytest.mark.usefixtures("offline_env")
def test_baseline_breaches_fail_with_exactly_the_gate_line(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    args = ("--mieb-model=baseline/pixels", "--mieb-tasks", TASKS)
    assert_ran(run(pytester, local_data, *args, "--mieb-results-dir=baseline"), passed=2)
    baseline = pytester.path / "baseline"
    ours = score(baseline, "LocalDigitsZeroShot")
    theirs = ours + 0.2
    plant(baseline, "LocalDigitsZeroShot", theirs, "accuracy")
    ndcg = score(baseline, "LocalScenesT2IRetrieval")
    their_ndcg = ndcg + 0.008  # within 0.010, beyond 2% of a score near 0.2
    plant(baseline, "LocalScenesT2IRetrieval", their_ndcg, "ndcg_at_10")

    absolute = Reports()
    result = run(
        pytester, local_data, *args, "--mieb-baseline=baseline", "--mieb-max-drop=0.01",
        plugins=(absolute,),
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert absolute.outcomes == {ZERO_SHOT: "failed", RETRIEVAL: "passed"}
    assert absolute.failures == {
        ZERO_SHOT: f"GateFailure: LocalDigitsZeroShot accuracy {ours:.3f} < baseline "
        f"{theirs:.3f} - 0.010"
    }

    relative = Reports()
    run(
        pytester, local_data, *args, "--mieb-baseline=baseline", "--mieb-max-drop=2%",
        plugins=(relative,),
    )  # fmt: skip
    assert relative.failures == {
        ZERO_SHOT: f"GateFailure: LocalDigitsZeroShot accuracy {ours:.3f} < baseline "
        f"{theirs:.3f} - 2% ({theirs * 0.02:.3f})",
        RETRIEVAL: f"GateFailure: LocalScenesT2IRetrieval ndcg_at_10 {ndcg:.3f} < baseline "
        f"{their_ndcg:.3f} - 2% ({their_ndcg * 0.02:.3f})",
    }
