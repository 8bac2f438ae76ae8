"""`--mieb-reference-threshold`: a run of a published model lists exactly the tasks whose
score strays from the published one by more than the threshold.

No weights: the run's scores are result files saved beforehand under the published model's
name, which the plugin reuses; the conftest's encoder only carries that name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from plugin_runs import assert_ran

from pytest_mieb.results.files import TaskResult, write_result
from pytest_mieb.results.published import reference_scores
from pytest_mieb.tasks.index import load_all_specs

MODEL = "openai/clip-vit-base-patch16"
#: Our score minus the published one, per task.
OFFSETS = {"CIFAR10ZeroShot": 0.004, "CIFAR10": -0.03, "DTD": 0.08, "Country211ZeroShot": -0.15}
HEADER = "MIEB scores that deviate from published ones"

CONFTEST = f"""
import pytest


class Named:
    name = "{MODEL}"
    revision = "saved"


@pytest.fixture(scope="session")
def mieb_encoder():
    return Named()
"""


def save_results(results_dir: Path) -> dict[str, tuple[float, float]]:
    """Result files whose main scores sit at OFFSETS from the published ones."""
    published = reference_scores(MODEL)
    specs = load_all_specs()
    scores = {}
    for task, offset in OFFSETS.items():
        ours = published[task] + offset
        spec = specs[task]
        values = {spec.main_score: ours, "main_score": ours}
        result = TaskResult.from_evaluation(
            spec, {"default": values}, model_name=MODEL, model_revision="saved", evaluation_time=1.0
        )
        write_result(result, results_dir)
        scores[task] = (ours, published[task])
    return scores


def deviation_lines(result: pytest.RunResult) -> list[str]:
    lines = result.outlines
    starts = [i for i, line in enumerate(lines) if HEADER in line]
    if not starts:
        return []
    (start,) = starts
    assert lines[start + 1].startswith("check weights and preprocessing")
    section = []
    for line in lines[start + 2 :]:
        if line.startswith("="):
            break
        section.append(line)
    return section


def expected_line(task: str, scores: dict[str, tuple[float, float]], threshold: str) -> str:
    ours, published = scores[task]
    return (
        f"{MODEL} {task}: {ours:.4f} vs published {published:.4f} "
        f"({ours - published:+.4f}, threshold {threshold})"
    )


@pytest.mark.parametrize(
    "threshold,listed",
    [
        ("0.05", ["Country211ZeroShot", "DTD"]),  # largest gap first
        ("0.01", ["Country211ZeroShot", "DTD", "CIFAR10"]),
        ("0.002", ["Country211ZeroShot", "DTD", "CIFAR10", "CIFAR10ZeroShot"]),
        ("0.2", []),
    ],
)
def test_deviation_section_lists_exactly_the_tasks_beyond_the_threshold(
    pytester: pytest.Pytester, threshold: str, listed: list[str]
) -> None:
    pytester.makeconftest(CONFTEST)
    scores = save_results(pytester.path / "results")
    result = pytester.runpytest(
        "-p", "no:cacheprovider", f"--mieb-model={MODEL}", "--mieb-tasks", ",".join(OFFSETS),
        "--mieb-results-dir=results", f"--mieb-reference-threshold={threshold}",
    )  # fmt: skip
    assert_ran(result, passed=len(OFFSETS))
    assert deviation_lines(result) == [expected_line(t, scores, threshold) for t in listed]
    assert (HEADER in result.stdout.str()) == bool(listed)
