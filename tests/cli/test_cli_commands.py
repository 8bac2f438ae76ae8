"""Every `python -m pytest_mieb` command, run as a user runs it, with its output checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_mieb.results.files import TaskResult, write_result
from pytest_mieb.tasks.index import load_all_specs, load_benchmarks


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest_mieb", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_list_prints_every_task_with_type_and_pinned_dataset(tmp_path: Path) -> None:
    done = cli("list", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 132 + 17  # the MIEB suites and the offline suite
    assert [line.split("\t")[0] for line in lines] == list(load_all_specs())
    # pinned revisions as in mteb's task metadata
    assert "CIFAR10ZeroShot\tZeroShotClassification\tmteb/cifar10@" \
        "69a62dd171e24a133d193073e73fda4dbb823266" in lines  # fmt: skip
    assert "Winoground\tCompositionality\tfacebook/winoground@" \
        "b400e173549071916ad1b3d449293bc8d8b4b763" in lines  # fmt: skip
    assert "LocalDigitsZeroShot\tZeroShotClassification\tpytest-mieb/local-digits@local-v1" in lines


def test_list_of_a_benchmark_holds_exactly_its_tasks(tmp_path: Path) -> None:
    done = cli("list", "--benchmark", "MIEB(lite)", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    names = [line.split("\t")[0] for line in done.stdout.splitlines()]
    assert len(names) == 51
    assert names == list(load_benchmarks()["MIEB(lite)"].tasks)


def test_list_of_an_unknown_benchmark_names_the_known_ones(tmp_path: Path) -> None:
    done = cli("list", "--benchmark", "MIEB(nope)", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == (
        "unknown benchmark 'MIEB(nope)'; known: MIEB(Multilingual), MIEB(eng), MIEB(Img), "
        "MIEB(lite)\n"
    )


def test_published_lists_the_57_models_with_shipped_scores(tmp_path: Path) -> None:
    done = cli("published", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    models = done.stdout.splitlines()
    assert len(models) == 57 and models == sorted(models)
    assert models[0] == "BAAI/bge-visualized-base"
    assert "openai/clip-vit-base-patch16" in models


def save(results: Path, model: str, scores: dict[str, float]) -> None:
    specs = load_all_specs()
    for task, value in scores.items():
        spec = specs[task]
        result = TaskResult.from_evaluation(
            spec,
            {"default": {spec.main_score: value, "main_score": value}},
            model_name=model,
            model_revision="r1",
            evaluation_time=1.0,
        )
        write_result(result, results)


def test_leaderboard_merges_saved_runs_and_writes_the_file(tmp_path: Path) -> None:
    save(tmp_path / "shard1", "acme/one", {"CIFAR10ZeroShot": 0.5, "DTD": 0.25})
    save(tmp_path / "shard2", "acme/one", {"LocalScenesT2IRetrieval": 0.125})
    save(tmp_path / "shard2", "acme/two", {"CIFAR10ZeroShot": 0.75})
    done = cli("leaderboard", "shard1", "shard2", "--out", "board.md", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = {
        tuple(cell for cell in line.split("  ") if cell.strip())[-3:]
        for line in done.stdout.splitlines()
    }
    # (Task, acme/one, acme/two), scores x 100; type means, then their mean
    assert {
        ("Rank", "1", "2"),
        ("Mean (TaskType)", "29.17", "-"),  # (25 + 50 + 12.5) / 3
        ("DTD", "25.00", "-"),
        ("CIFAR10ZeroShot", "50.00", "75.00"),
        ("LocalScenesT2IRetrieval", "12.50", "-"),
    } <= {tuple(cell.strip() for cell in row) for row in rows}
    assert done.stdout.splitlines()[0] == "results: 3 tasks, 2 model(s)"
    board = (tmp_path / "board.md").read_text()
    assert "| ZeroShotClassification | CIFAR10ZeroShot         |      50.00 |      75.00 |" in board


def test_leaderboard_of_a_missing_folder_is_a_one_line_error(tmp_path: Path) -> None:
    done = cli("leaderboard", "nowhere", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "pytest-mieb leaderboard: no results file or folder at nowhere\n"


def test_download_without_the_hub_fails_naming_every_dataset(tmp_path: Path) -> None:
    """No network here: offline, every dataset fails quickly; the command says which, and why."""
    offline = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    done = cli("download", "--benchmark", "MIEB(lite)", "mirror", cwd=tmp_path, env=offline)
    assert done.returncode == 1
    refs = []
    for line in done.stdout.splitlines():
        assert line.startswith("downloading ")
        ref, target = line.removeprefix("downloading ").split(" -> ")
        assert target == f"mirror/{ref.split('@')[0]}"
        refs.append(ref)
    assert len(refs) == len(set(refs)) == 46  # MIEB(lite)'s 51 tasks share some datasets
    assert "mteb/cifar100@ac5511f885f65fb75d31a9d8810a8440913f7721" in refs
    assert "facebook/winoground@b400e173549071916ad1b3d449293bc8d8b4b763" in refs
    (error,) = done.stderr.splitlines()
    assert error.startswith(f"error: 46 dataset(s) not downloaded: {refs[0]}: ")
    assert [part.split(": ")[0].split(" ")[0] for part in error.split(" | ")][1:] == refs[1:]
    assert "request access" in error  # the gated one (Winoground) says what to do
    assert not list((tmp_path / "mirror").rglob("*.parquet"))


@pytest.mark.parametrize("args", [[], ["nonsense"]])
def test_no_or_an_unknown_command_is_a_usage_error(tmp_path: Path, args: list[str]) -> None:
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("usage: python -m pytest_mieb ")


@pytest.mark.parametrize("args", [["list"], ["published"], ["leaderboard", "results"]])
def test_a_reader_that_stops_early_ends_the_command_quietly(
    tmp_path: Path, args: list[str]
) -> None:
    """`python -m pytest_mieb list | head` prints no BrokenPipeError traceback."""
    save(tmp_path / "results", "org/alpha", {"CIFAR10": 0.5})
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_mieb", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the first line is written
    stderr = process.stderr.read()
    assert process.wait(timeout=300) == 141  # as if killed by SIGPIPE, like other tools
    assert stderr == ""


def test_the_console_script_is_the_module_command() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    from pytest_mieb import __main__, cli

    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"] == {"pytest-mieb": "pytest_mieb.cli:main"}
    assert __main__.main is cli.main
