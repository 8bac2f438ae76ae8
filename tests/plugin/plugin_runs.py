"""Helpers for plugin runs in pytester: the command line, outcomes, failure texts, results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def run(
    pytester: pytest.Pytester, data: Path, *args: str, plugins: tuple[object, ...] = ()
) -> pytest.RunResult:
    """An in-process run on mirror `data`, results under `results/` of the test directory.

    `--opt=value` form: pytest takes bare existing paths on the command line into account
    when it picks the rootdir, even when they are option values.
    """
    return pytester.runpytest(
        "-p",
        "no:cacheprovider",
        f"--mieb-data-dir={data}",
        "--mieb-results-dir=results",
        *args,
        plugins=list(plugins),
    )


def assert_ran(result: pytest.RunResult, passed: int = 0, failed: int = 0) -> None:
    outcomes = result.parseoutcomes()
    assert (outcomes.get("passed", 0), outcomes.get("failed", 0)) == (passed, failed), outcomes
    assert outcomes.get("errors", 0) == 0, outcomes


def result_files(root: Path) -> dict[str, dict]:
    """Saved result files under `root`, by task name."""
    return {p.stem: json.loads(p.read_text()) for p in sorted(root.rglob("*.json"))}


class Reports:
    """A plugin for in-process runs (`runpytest(..., plugins=[reports])`): what each test's
    call phase reported, so a test can check the exact failure text a user sees."""

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}
        self.failures: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or report.outcome != "passed":
            name = report.nodeid.split("::")[-1]
            self.outcomes[name] = report.outcome
            if report.failed:
                self.failures[name] = report.longreprtext
