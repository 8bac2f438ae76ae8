"""The MIEB(lite)-shaped workload (`lite_common`): all 51 lite tasks as one whole pytest-mieb
process, on small hub-layout mirrors with a tiny CLIP, each task's time split into the
model's own work (tower seconds) and the harness's overhead.

mteb 2.26's side runs in its own venv: `mteb_reference/run_mteb_lite.py`, which times both
harnesses in alternating rounds (the figures in RESULTS.md come from there).

Run: pytest benchmarks/bench_lite.py -p no:cacheprovider
(LITE_ROUNDS=3 for three rounds; LITE_WORK=DIR keeps mirrors and model between runs.)
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import pytest
from lite_common import lite_tasks, run_pytest_mieb_lite, write_lite_inputs

ROUNDS = int(os.environ.get("LITE_ROUNDS", "1"))


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("LITE_WORK")
    return Path(given) if given else tmp_path_factory.mktemp("lite")


def test_mieb_lite_shaped_workload(benchmark, work_dir: Path) -> None:
    model_dir, data_dir = write_lite_inputs(work_dir)
    runs: list[dict] = []

    def one_round() -> None:
        scratch = work_dir / f"mieb-round-{len(runs)}"
        runs.append(run_pytest_mieb_lite(sys.executable, model_dir, data_dir, scratch))

    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1, warmup_rounds=0)
    last = runs[-1]
    slowest = sorted(last["tasks"].items(), key=lambda kv: -kv[1]["overhead_s"])[:8]
    benchmark.extra_info.update(
        {
            "wall_s_rounds": [round(r["wall_s"], 2) for r in runs],
            "cpu_s_rounds": [round(r["cpu_s"], 2) for r in runs],
            "phases_last_round": last["phases"],
            "task_totals_last_round": last["task_totals"],
            "most_overhead_last_round": dict(slowest),
            "images_encoded": last["images_encoded"],
            "unique_images_encoded": last["unique_images_encoded"],
        }
    )
    scores = last["main_scores"]
    assert set(scores) == set(lite_tasks())  # every lite task ran and wrote its score
    assert all(math.isfinite(v) for v in scores.values())
    assert set(last["tasks"]) == set(lite_tasks())
