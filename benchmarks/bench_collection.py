"""Collection cost: reading every suite and collecting all MIEB items must stay cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pytest_mieb.tasks.index import load_all_specs
from pytest_mieb.tasks.suites import load_suite_file, packaged_suites_dir, suite_files


def test_parse_all_suites(benchmark) -> None:
    files = suite_files(packaged_suites_dir())

    def parse() -> int:
        return sum(len(load_suite_file(f).tasks) for f in files)

    assert benchmark(parse) == 132 + 17  # MIEB + the offline suite


def test_load_all_specs(benchmark) -> None:
    """After the first read the task index is reused: a call costs a stat per suite file."""
    assert len(benchmark(load_all_specs)) == 132 + 17


def test_collect_all_items_in_process(benchmark, pytester: pytest.Pytester) -> None:
    def collect() -> int:
        result = pytester.runpytest_inprocess(
            "--mieb-model=acme/m", "-m", "mieb", "--collect-only", "-q"
        )
        return sum("::" in line for line in result.outlines)

    assert benchmark.pedantic(collect, rounds=5, iterations=1) == 132


def test_collect_all_items_whole_process(benchmark, tmp_path) -> None:
    """Includes interpreter start-up and plugin loading: what a user waits for."""
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--mieb-model=acme/m",
           "-m", "mieb", "--collect-only", "-q"]  # fmt: skip

    def collect() -> int:
        out = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, check=True).stdout
        return sum("::" in line for line in out.splitlines())

    assert benchmark.pedantic(collect, rounds=3, iterations=1) == 132
