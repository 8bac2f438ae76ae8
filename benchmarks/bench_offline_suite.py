"""The offline suite (`-m mieb_local`, 17 tiny tasks, `baseline/pixels`) against its import
floor: a process that imports what the suite needs and exits, doing no work.

Issue 15's target: the whole suite within 1.5x of that floor (wall time, medians of
alternating rounds). The floor imports pytest, torch, PIL, datasets and the parts of
scikit-learn and scipy the evaluators use; the suite is the README's main command, in a
fresh results folder each round (no reused results, no embedding cache on disk).

Run: pytest benchmarks/bench_offline_suite.py -p no:cacheprovider
(OFFLINE_ROUNDS=5 for five rounds of each.)
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

from e2e_common import timed_process

ROUNDS = int(os.environ.get("OFFLINE_ROUNDS", "3"))
REPO = Path(__file__).resolve().parents[1]

FLOOR = (
    "import pytest, torch, PIL.Image, datasets, scipy.stats, scipy.optimize; "
    "import sklearn.linear_model, sklearn.cluster, sklearn.metrics, sklearn.neighbors, "
    "sklearn.preprocessing"
)


def timed(cmd: list[str], cwd: Path) -> float:
    """Whole-process wall seconds of `cmd` (it must succeed)."""
    return float(timed_process(cmd, dict(os.environ), cwd)["wall_s"])


def test_offline_suite_against_its_import_floor(benchmark, tmp_path: Path) -> None:
    floor: list[float] = []
    suite: list[float] = []

    def one_round() -> None:
        floor.append(timed([sys.executable, "-c", FLOOR], tmp_path))
        results = tmp_path / f"results-{len(suite)}"
        cmd = [
            sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
            "--mieb-model=baseline/pixels", "-m", "mieb_local", f"--mieb-results-dir={results}",
        ]  # fmt: skip
        suite.append(timed(cmd, REPO))

    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    ratio = statistics.median(suite) / statistics.median(floor)
    benchmark.extra_info.update(
        {
            "floor_s_rounds": [round(s, 2) for s in floor],
            "suite_s_rounds": [round(s, 2) for s in suite],
            "suite_over_floor_median": round(ratio, 2),
            "load_average": os.getloadavg(),
        }
    )
    print(f"\noffline suite {statistics.median(suite):.2f} s, floor "
          f"{statistics.median(floor):.2f} s: {ratio:.2f}x")  # fmt: skip
    for k in range(len(suite)):  # every round did the whole suite's work (one if disabled)
        written = {p.stem for p in (tmp_path / f"results-{k}").rglob("Local*.json")}
        assert len(written) == 17
