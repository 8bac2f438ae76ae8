"""The preload prepares the run's datasets in the background while its models load, and puts
the evaluators' libraries off to the first forked encoding where there will be one."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

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
def prepared(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Any]:
    """What happened, in order: ("prepare", task names) and ("preparing", what it returned)
    for each `prepare_in_background` call (the calls still made), ("load", model) for each
    model load."""
    import datasets.config

    from pytest_mieb.data.source import clear_cache

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-datasets")
    events: list[Any] = []
    real_prepare, real_load = session.prepare_in_background, session.MiebState._load

    def recording(loads):  # type: ignore[no-untyped-def]
        events.append(("prepare", [load.args[0].name for load in loads]))
        preparing = real_prepare(loads)
        events.append(("preparing", preparing))
        return preparing

    def loading(self, model_id):  # type: ignore[no-untyped-def]
        events.append(("load", model_id))
        return real_load(self, model_id)

    monkeypatch.setattr(session, "prepare_in_background", recording)
    monkeypatch.setattr(session.MiebState, "_load", loading)
    clear_cache()
    yield events
    clear_cache()


def run(pytester: pytest.Pytester, mirrors: Path, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "--mieb-model=baseline/pixels", f"--mieb-data-dir={mirrors}",
        "--mieb-results-dir=results", f"--mieb-tasks={TASKS}", *args,
    )  # fmt: skip


@pytest.mark.skipif(not can_fork(), reason="the background process is forked")
@pytest.mark.usefixtures("offline_env")
def test_every_task_s_dataset_is_prepared_in_run_order_from_before_the_model_loads(
    pytester: pytest.Pytester, mirrors: Path, prepared: list[Any]
) -> None:
    first = run(pytester, mirrors, "-v")
    first.assert_outcomes(passed=2)
    ran = [line.split("::")[-1].split("[")[0] for line in first.outlines if " PASSED" in line]
    assert sorted(ran) == sorted(TASKS.split(","))
    kinds = [kind for kind, _ in prepared]
    assert kinds == ["prepare", "preparing", "load"]
    assert prepared[0][1] == ran
    child = prepared[1][1]
    assert child is not None and not child.takes_more_loads  # told at the end of the preload

    prepared.clear()
    run(pytester, mirrors).assert_outcomes(passed=2)  # results reused: the datasets are
    assert prepared[0] == ("prepare", ran)  # prepared all the same (cheap: cached)


@pytest.mark.usefixtures("offline_env")
def test_no_background_process_with_no_workers(
    pytester: pytest.Pytester, mirrors: Path, prepared: list[Any]
) -> None:
    run(pytester, mirrors, "--mieb-workers=0").assert_outcomes(passed=2)
    assert prepared == [("load", "baseline/pixels")]


@pytest.mark.usefixtures("offline_env")
@pytest.mark.parametrize(
    ("workers", "default_workers", "put_off"),
    [(None, 1, can_fork()), (None, 0, False), ("1", 0, can_fork()), ("0", 1, False)],
)
def test_the_evaluators_libraries_wait_for_forked_encoding_only_where_it_can_happen(
    pytester: pytest.Pytester,
    mirrors: Path,
    prepared: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    workers: str | None,
    default_workers: int,
    put_off: bool,
) -> None:
    """On the CPU with workers (given, or by default), the preload puts the libraries'
    import off to the first forked encoding; with none (or no fork) it imports them itself."""
    monkeypatch.setattr("pytest_mieb.embed.batches.default_num_workers", lambda: default_workers)
    done: list[str] = []
    monkeypatch.setattr(session, "put_off", lambda work: done.append("put off"))
    real_import = session.import_libraries
    monkeypatch.setattr(
        session, "import_libraries", lambda names: (done.append("imported"), real_import(names))
    )
    args = () if workers is None else (f"--mieb-workers={workers}",)
    run(pytester, mirrors, "--mieb-device=cpu", *args).assert_outcomes(passed=2)
    assert done == (["put off"] if put_off else ["imported"])
