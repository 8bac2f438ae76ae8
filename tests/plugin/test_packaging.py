"""The built wheel carries the suites, and an installed plugin works from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", str(REPO), "--no-deps",
         "--no-build-isolation", "-w", str(out)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return next(out.glob("pytest_mieb-*.whl"))


def test_wheel_ships_suites_and_registers_the_pytest11_entry_point(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    suites = [n for n in names if n.startswith("pytest_mieb/suites/") and n.endswith(".toml")]
    repo_suites = sorted(
        p.relative_to(REPO / "suites").as_posix() for p in (REPO / "suites").rglob("*.toml")
    )
    assert sorted(n.removeprefix("pytest_mieb/suites/") for n in suites) == repo_suites
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[pytest11]" in text and "pytest_mieb.plugin.hooks" in text


def test_installed_wheel_collects_packaged_suites_from_an_empty_directory(
    wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--mieb-model=acme/m",
         "-m", "mieb_lite", "--collect-only", "-q"],
        cwd=empty, env=env, capture_output=True, text=True,
    )  # fmt: skip
    ids = [line for line in result.stdout.splitlines() if "::" in line]
    assert len(ids) == 51, result.stdout + result.stderr
    probe = "import pytest_mieb.tasks.suites as s; print(s.packaged_suites_dir())"
    where = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=empty, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(target)
