"""The preload prepares the first evaluated task's dataset in the background, and only that."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_mieb.plugin import session
from pytest_mieb.runtime import can_fork

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
TASKS = "CIFAR10ZeroShot,Country211ZeroShot"


@pytest.fixture
def mirrors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if str(BENCHMARKS) not in sys.path:
        sys.path.append(str(BENCHMARKS))
    import hubfarm

    from pytest_mieb.tasks.index import load_all_specs

    root = tmp_path_factory.mktemp("ahead-mirrors")
    specs = load_all_specs()
    for name in TASKS.split(","):
        hubfarm.write_mirror(specs[name], root, rows=8, seed=0)
    return root


@pytest.fixture
def prepared(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[list[str]]:
    """The task names of every `prepare_in_background` call, the calls still made."""
    import datasets.config

    from pytest_mieb.data.source import clear_cache

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-datasets")
    calls: list[list[str]] = []
    real = session.prepare_in_background

    def recording(loads):  # type: ignore[no-untyped-def]
        calls.append([load.args[0].name for load in loads])
        return real(loads)

    monkeypatch.setattr(session, "prepare_in_background", recording)
    clear_cache()
    yield calls
    clear_cache()


def run(pytester: pytest.Pytester, mirrors: Path, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "--mieb-model=baseline/pixels", f"--mieb-data-dir={mirrors}",
        "--mieb-results-dir=results", f"--mieb-tasks={TASKS}", *args,
    )  # fmt: skip


@pytest.mark.skipif(not can_fork(), reason="the background process is forked")
@pytest.mark.usefixtures("offline_env")
def test_the_first_task_to_evaluate_is_prepared_and_reused_ones_are_not(
    pytester: pytest.Pytester, mirrors: Path, prepared: list[list[str]]
) -> None:
    first = run(pytester, mirrors, "-v")
    first.assert_outcomes(passed=2)
    ran = [line.split("::")[-1].split("[")[0] for line in first.outlines if " PASSED" in line]
    assert sorted(ran) == sorted(TASKS.split(","))
    assert prepared == [[ran[0]]]

    again = run(pytester, mirrors)  # both results are saved: nothing to evaluate
    again.assert_outcomes(passed=2)
    assert prepared[1] == []

    removed = next((pytester.path / "results").rglob(f"{prepared[0][0]}.json"))
    removed.unlink()
    run(pytester, mirrors).assert_outcomes(passed=2)
    assert prepared[2] == [prepared[0][0]]


@pytest.mark.usefixtures("offline_env")
def test_no_background_process_with_no_workers(
    pytester: pytest.Pytester, mirrors: Path, prepared: list[list[str]]
) -> None:
    run(pytester, mirrors, "--mieb-workers=0").assert_outcomes(passed=2)
    assert prepared == []
