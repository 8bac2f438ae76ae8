"""`--mieb-cache-dir`: a rerun reads every embedding from disk and scores exactly the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from plugin_runs import assert_ran, result_files, run

#: Fields of a result file that legitimately differ between two runs.
RUN_STAMPS = ("evaluation_time", "date")
N_TASKS = 17


def saved_results(root: Path) -> dict[str, dict]:
    files = result_files(root)
    assert len(files) == N_TASKS
    return {
        task: {k: v for k, v in data.items() if k not in RUN_STAMPS} for task, data in files.items()
    }


def encode_summary(result: pytest.RunResult) -> str:
    return next(line for line in result.outlines if line.startswith("baseline/pixels: encoded"))


@pytest.mark.usefixtures("offline_env")
def test_rerun_with_a_cache_dir_encodes_nothing_and_gives_identical_results(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    """Every task of the offline suite, so every loader's columns (queries and corpus configs,
    several image columns of one split, train and test splits) go through the disk cache;
    the uncached run is the reference, so a cache serving one column's vectors for another
    changes a score."""
    suite = ("--mieb-model=baseline/pixels", "-m", "mieb_local")
    reference = run(pytester, local_data, *suite, "--mieb-results-dir=plain")
    assert_ran(reference, passed=N_TASKS)

    cached = ("--mieb-cache-dir=cache", "--mieb-results-dir=cached")
    cold = run(pytester, local_data, *suite, *cached)
    assert_ran(cold, passed=N_TASKS)
    assert list((pytester.path / "cache").rglob("*.npy"))
    assert "encoded nothing" not in encode_summary(cold)
    cold_results = saved_results(pytester.path / "cached")

    warm = run(pytester, local_data, *suite, *cached, "--mieb-overwrite")
    assert_ran(warm, passed=N_TASKS)
    summary = encode_summary(warm)
    requests = int(summary.split(" of ")[-1].split()[0])
    assert requests > 0
    assert summary == (
        f"baseline/pixels: encoded nothing; {requests} of {requests} requests served from the "
        "embedding cache"
    )
    assert saved_results(pytester.path / "cached") == cold_results
    assert cold_results == saved_results(pytester.path / "plain")
