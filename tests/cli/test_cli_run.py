"""`python -m pytest_mieb run`: the spine without pytest gives what a pytest run gives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TASKS = ("LocalDigitsLinearProbe", "LocalDigitsClustering")
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def run(*args: str, cwd: Path, module: str = "pytest_mieb") -> subprocess.CompletedProcess:
    path = os.pathsep.join(filter(None, [str(cwd), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env={**os.environ, **OFFLINE, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=300,
    )


def scores(results: Path) -> dict[str, object]:
    """Each result file's scores, by file name (the run's timing and date left out)."""
    return {
        path.name: json.loads(path.read_text())["scores"]
        for path in sorted(results.rglob("*.json"))
        if path.name != "model_meta.json"
    }


def test_run_writes_the_result_files_a_pytest_run_writes(tmp_path: Path) -> None:
    (tmp_path / "cli").mkdir()
    (tmp_path / "plugin").mkdir()
    done = run("run", "baseline/pixels", *TASKS, cwd=tmp_path / "cli")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split("\t")[0] for line in lines[:2]] == list(TASKS)
    assert lines[-1] == "2 of 2 task(s) scored; results in mieb-results"

    by_pytest = run(
        "-p", "no:cacheprovider", f"--mieb-tasks={','.join(TASKS)}",
        "--mieb-model=baseline/pixels", "-q", cwd=tmp_path / "plugin", module="pytest",
    )  # fmt: skip
    assert by_pytest.returncode == 0, by_pytest.stdout + by_pytest.stderr
    from_cli = scores(tmp_path / "cli" / "mieb-results")
    assert sorted(from_cli) == sorted(f"{task}.json" for task in TASKS)
    assert from_cli == scores(tmp_path / "plugin" / "mieb-results")
    # the printed score is the file's main score
    main = json.loads(next((tmp_path / "cli").rglob(f"{TASKS[0]}.json")).read_text())
    assert lines[0] == f"{TASKS[0]}\t{main['scores']['test'][0]['main_score']:.4f}"


def test_a_second_run_reuses_the_saved_results(tmp_path: Path) -> None:
    assert run("run", "baseline/pixels", TASKS[0], cwd=tmp_path).returncode == 0
    again = run("run", "baseline/pixels", TASKS[0], cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0].endswith(" (saved result)")


def test_a_failing_task_is_one_line_and_the_next_task_runs(tmp_path: Path) -> None:
    # CIFAR10ZeroShot needs the hub, which is off: it fails, the local task after it runs
    done = run("run", "baseline/pixels", "CIFAR10ZeroShot", TASKS[0], cwd=tmp_path)
    assert done.returncode == 1
    failed, scored, summary = done.stdout.splitlines()
    name, status, message = failed.split("\t")
    assert (name, status) == ("CIFAR10ZeroShot", "FAILED")
    assert "mteb/cifar10" in message
    assert scored.startswith(f"{TASKS[0]}\t0.")
    assert summary == "1 of 2 task(s) scored; results in mieb-results"


def test_an_unknown_model_or_task_is_a_one_line_error(tmp_path: Path) -> None:
    model = run("run", "no-such-org/no-such-model", TASKS[0], cwd=tmp_path)
    assert model.returncode == 1
    assert model.stdout == ""
    assert model.stderr.strip().splitlines()[-1].startswith("pytest-mieb run: ModelLoadError: ")
    task = run("run", "baseline/pixels", "NoSuchTask", cwd=tmp_path)
    assert (task.returncode, task.stderr) == (2, "pytest-mieb run: unknown task(s): NoSuchTask\n")
    nothing = run("run", "baseline/pixels", cwd=tmp_path)
    assert nothing.returncode == 2
    assert nothing.stderr == "pytest-mieb run: name tasks or --benchmark\n"
    assert not (tmp_path / "mieb-results").exists()


IMAGE_ONLY = """
from pytest_mieb.models import load_encoder


def image_only():
    encoder = load_encoder("baseline/pixels")
    encoder.name = "acme/image-only"
    encoder.modalities = frozenset({"image"})
    return encoder
"""


def test_tasks_a_model_cannot_take_are_na_not_failures(tmp_path: Path) -> None:
    (tmp_path / "acme_models.py").write_text(IMAGE_ONLY)
    done = run("run", "acme_models:image_only", "LocalDigitsZeroShot", TASKS[0], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    na, scored, summary = done.stdout.splitlines()
    assert na == (
        "LocalDigitsZeroShot\tn/a: acme/image-only takes image only; "
        "LocalDigitsZeroShot needs text inputs"
    )
    assert scored.startswith(f"{TASKS[0]}\t0.")
    assert summary == "1 of 2 task(s) scored, 1 n/a; results in mieb-results"
    # what it takes is recorded, so that a leaderboard of the folder shows n/a
    (meta,) = (tmp_path / "mieb-results").rglob("model_meta.json")
    assert json.loads(meta.read_text())["input_kinds"] == ["image"]
    assert not list((tmp_path / "mieb-results").rglob("LocalDigitsZeroShot.json"))
