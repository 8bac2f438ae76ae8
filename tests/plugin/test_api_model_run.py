"""An API model through the plugin, against the loopback fake API: usage in the terminal
summary, a rerun served from the API cache, the request budget as a one-line failure."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from plugin_runs import Reports, assert_ran, run

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.append(str(BENCHMARKS))  # appended: benchmarks' own modules never shadow others

MODEL = "voyageai/voyage-multimodal-3"
TASKS = "--mieb-tasks=LocalDigitsZeroShot,LocalScenesT2IRetrieval"


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    from fakeapis import FakeAPIServer

    with FakeAPIServer(seed=1) as server:
        monkeypatch.setenv("VOYAGE_API_KEY", "pa-test")
        monkeypatch.setenv("VOYAGE_BASE_URL", server.url + "/v1")
        monkeypatch.setenv("MIEB_API_CACHE_DIR", str(tmp_path / "api-cache"))
        monkeypatch.delenv("MIEB_API_MAX_REQUESTS", raising=False)
        yield server


def usage_lines(result: pytest.RunResult) -> list[str]:
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if "MIEB API usage" in line)
    section = []
    for line in lines[start + 1 :]:
        if line.startswith("="):
            break
        section.append(line)
    return [line for line in section if line.strip()]


@pytest.mark.usefixtures("offline_env")
def test_usage_is_summed_up_and_a_rerun_pays_nothing(
    pytester: pytest.Pytester, local_data: Path, api: Any, tmp_path: Path
) -> None:
    first = run(pytester, local_data, f"--mieb-model={MODEL}", TASKS)
    assert_ran(first, passed=2)
    sent = api.count("/multimodalembeddings")
    assert sent >= 2
    line, cache = usage_lines(first)
    assert line.startswith(f"{MODEL}: {sent} API requests, ")
    assert line.endswith("; 0 inputs from the API cache")
    assert cache == f"API cache: {tmp_path / 'api-cache'}"
    sides = {r.body["input_type"] for r in api.requests}
    assert sides == {"query", "document"}  # retrieval queries, corpus and zero-shot documents

    again = run(pytester, local_data, f"--mieb-model={MODEL}", TASKS, "--mieb-overwrite")
    assert_ran(again, passed=2)
    assert api.count("/multimodalembeddings") == sent
    line, _ = usage_lines(again)
    assert line.startswith(f"{MODEL}: 0 API requests, 0 inputs embedded; ")


@pytest.mark.usefixtures("offline_env")
def test_the_request_budget_fails_items_in_one_line(
    pytester: pytest.Pytester, local_data: Path, api: Any
) -> None:
    reports = Reports()
    args = (f"--mieb-model={MODEL}", TASKS, "--mieb-api-max-requests=1")
    result = run(pytester, local_data, *args, plugins=(reports,))
    assert api.count("/multimodalembeddings") == 1
    failures = list(reports.failures.values())
    assert failures and all(
        "the API request budget of 1 requests is used up" in text and "Traceback" not in text
        for text in failures
    )
    assert "request budget: 1 of 1 requests used" in result.outlines


@pytest.mark.usefixtures("offline_env")
def test_xdist_workers_share_one_request_budget(
    pytester: pytest.Pytester, local_data: Path, api: Any
) -> None:
    """Both tasks on both workers (`--dist=each`): four items that would each send requests;
    the controller's run id makes the workers count against one budget of 3."""
    args = (f"--mieb-model={MODEL}", TASKS, "-n=2", "--dist=each", "--mieb-api-max-requests=3")
    result = run(pytester, local_data, *args)
    assert api.count("/multimodalembeddings") == 3
    assert result.parseoutcomes().get("failed", 0) >= 1
    assert "request budget: 3 of 3 requests used" in result.outlines
