"""Models are loaded before the first item, so no task's time includes a model load."""

from __future__ import annotations

from pathlib import Path

import pytest

RECORDER = """
import os


def note(line):
    with open(os.environ["PRELOAD_LOG"], "a") as fh:
        fh.write(line + "\\n")


def pytest_mieb_load_encoder(model_id, device, precision):
    note(f"load {model_id}")
    return None  # the built-in registry loads it


class Starts:  # a plugin object: a conftest's own item hooks see only items under it

    def pytest_runtest_logstart(self, nodeid, location):
        note(f"start {nodeid.rsplit('::', 1)[-1]}")


def pytest_configure(config):
    config.pluginmanager.register(Starts(), "preload-starts")
"""

OVERRIDE = """
import pytest

from pytest_mieb.models.baselines import load_baseline


@pytest.fixture(scope="session")
def mieb_encoder():
    return load_baseline("pixels")
"""


@pytest.fixture
def log(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = pytester.path / "preload.log"
    monkeypatch.setenv("PRELOAD_LOG", str(path))
    return path


def run(pytester: pytest.Pytester, data: Path, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", f"--mieb-data-dir={data}", "--mieb-results-dir=results",
        "-m", "mieb_local and zeroshot", *args,
    )  # fmt: skip


def lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.usefixtures("offline_env")
def test_each_model_is_loaded_once_before_the_first_item_starts(
    pytester: pytest.Pytester, local_data: Path, log: Path
) -> None:
    pytester.makeconftest(RECORDER)
    models = ("--mieb-model=baseline/pixels", "--mieb-model=baseline/random")
    result = run(pytester, local_data, *models)
    result.assert_outcomes(passed=4)
    seen = lines(log)
    assert seen[:2] == ["load baseline/pixels", "load baseline/random"]
    assert len(seen) == 6 and all(line.startswith("start ") for line in seen[2:])
    result.stdout.fnmatch_lines(["mieb: loading baseline/pixels", "mieb: loading baseline/random"])


@pytest.mark.usefixtures("offline_env")
def test_collect_only_loads_no_model(
    pytester: pytest.Pytester, local_data: Path, log: Path
) -> None:
    pytester.makeconftest(RECORDER)
    run(pytester, local_data, "--mieb-model=baseline/pixels", "--collect-only")
    assert lines(log) == []


@pytest.mark.usefixtures("offline_env")
def test_an_overridden_encoder_fixture_is_not_preloaded_by_id(
    pytester: pytest.Pytester, local_data: Path, log: Path
) -> None:
    pytester.makeconftest(RECORDER + OVERRIDE)
    result = run(pytester, local_data, "--mieb-model=baseline/random")
    result.assert_outcomes(passed=2)
    assert not [line for line in lines(log) if line.startswith("load ")]
