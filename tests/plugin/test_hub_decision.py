"""Hub access is decided once per run: lazily in a serial run (never for one that needs no
hub), and by the xdist controller alone, which hands its decision to the workers.

Nobody says offline in these runs, and the Hub "does not answer": huggingface_hub's HTTP
session is replaced by one that refuses every request and writes down who asked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from plugin_runs import assert_ran, run

REFUSING_CONFTEST = """
import os

import huggingface_hub.utils


class Refusing:
    def head(self, url, **kwargs):
        with open(os.environ["PROBE_LOG"], "a") as log:
            log.write(os.environ.get("PYTEST_XDIST_WORKER", "controller") + "\\n")
        raise ConnectionRefusedError(111, "Connection refused")


huggingface_hub.utils.get_session = lambda: Refusing()
"""

WORKER_SEES = """
from pytest_mieb import hub


def test_the_worker_took_the_controllers_decision():
    access = hub.decide(warn=False)
    assert access.state == "unreachable" and "ConnectionRefusedError" in access.reason
"""


@pytest.fixture
def online_env(offline_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Caches in temporary folders (`offline_env`), then no offline setting; the probe log."""
    from pytest_mieb.hub import OFFLINE_VARIABLES

    for var in OFFLINE_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    # When this suite itself runs under xdist, its worker's names must not leak into the run.
    for var in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(var, raising=False)
    log = tmp_path / "probes.log"
    monkeypatch.setenv("PROBE_LOG", str(log))
    return log


def test_the_xdist_controller_probes_once_and_the_workers_adopt_its_decision(
    pytester: pytest.Pytester, local_data: Path, online_env: Path
) -> None:
    pytester.makeconftest(REFUSING_CONFTEST)
    pytester.makepyfile(test_worker=WORKER_SEES)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "test_worker.py", "--mieb-model=baseline/pixels",
        "--mieb-tasks=LocalDigitsZeroShot", f"--mieb-data-dir={local_data}",
        "--mieb-results-dir=results", "-n", "2", "--dist=each",
    )  # fmt: skip
    assert_ran(result, passed=4)  # both items on each of the two workers
    assert online_env.read_text() == "controller\n"


def test_a_serial_run_that_needs_no_hub_never_probes(
    pytester: pytest.Pytester,
    local_data: Path,
    online_env: Path,
    hub_without_network,
    nobody_said_offline: None,
) -> None:
    result = run(pytester, local_data, "--mieb-model=baseline/pixels", "-m", "mieb_local")
    assert_ran(result, passed=17)
    assert hub_without_network.requests == 0
