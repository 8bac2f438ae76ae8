"""End to end: the three CIFAR10-schema tasks (issue 7 b) as one whole pytest-mieb process.

`CIFAR10` (linear probe), `CIFAR10ZeroShot` and `CIFAR10Clustering` on a local mirror of
mteb/cifar10 (2,000 train / 1,000 test 32x32 images) with a tiny randomly initialised
CLIP at 224 px, on the CPU, batch size 32. Each round is a fresh `python -m pytest`
process (fresh datasets cache, fresh results dir), timed from outside; the rows that
reach the CLIP towers are counted inside it (`e2e_common.EncodeCounter`).

What it checks besides the time: every unique image is encoded exactly once -- the
1,000 test images once although three tasks use them, plus only the train rows the
probe samples (the union over its experiments).

The mteb 2.26 side of the comparison cannot run in this venv: see
`mteb_reference/run_mteb_cifar10.py` and RESULTS.md for the figures of both.

Run: pytest benchmarks/bench_end_to_end.py -p no:cacheprovider
(E2E_ROUNDS=3 for three rounds; E2E_WORK=DIR keeps the mirror and model between runs;
E2E_THREADS=1 runs with OMP_NUM_THREADS=1.)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from e2e_common import (
    CIFAR10_TASKS,
    run_pytest_mieb,
    write_cifar10_mirror,
    write_tiny_clip,
)

N_TRAIN = 2000
N_TEST = 1000
ROUNDS = int(os.environ.get("E2E_ROUNDS", "2"))
#: E2E_THREADS=1 sets OMP_NUM_THREADS=1 (see RESULTS.md: steadier on a shared 2-core VM).
THREADS = os.environ.get("E2E_THREADS")


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("E2E_WORK")
    return Path(given) if given else tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="module")
def cifar_inputs(work_dir: Path) -> tuple[Path, Path]:
    data_dir = work_dir / "data"
    write_cifar10_mirror(data_dir, N_TRAIN, N_TEST)
    return write_tiny_clip(work_dir / "tiny-clip"), data_dir


def sampled_train_rows(data_dir: Path, samples_per_label: int = 16, n_experiments: int = 5):
    """The probe's train rows, walked here by hand from the protocol text (mieb-protocols
    3.1): a list reshuffled in place by a fresh RandomState(42) per experiment, keeping a
    row while its label has fewer than `samples_per_label` kept rows."""
    import pyarrow.parquet as pq

    path = data_dir / "mteb" / "cifar10" / "data" / "train-00000-of-00001.parquet"
    labels = pq.read_table(path, columns=["label"]).column("label").to_pylist()
    order = list(range(len(labels)))
    union: set[int] = set()
    for _ in range(n_experiments):
        np.random.RandomState(42).shuffle(order)
        kept: dict[int, int] = {}
        for row in order:
            if kept.get(labels[row], 0) < samples_per_label:
                kept[labels[row]] = kept.get(labels[row], 0) + 1
                union.add(row)
    return union


def test_three_cifar10_tasks_end_to_end(benchmark, cifar_inputs, work_dir: Path) -> None:
    model_dir, data_dir = cifar_inputs
    runs: list[dict] = []

    def one_round() -> None:
        scratch = work_dir / f"mieb-round-{len(runs)}"
        env = {"OMP_NUM_THREADS": THREADS} if THREADS else None
        runs.append(run_pytest_mieb(sys.executable, model_dir, data_dir, scratch, env_extra=env))

    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1, warmup_rounds=0)

    last = runs[-1]
    expected = N_TEST + len(sampled_train_rows(data_dir))
    benchmark.extra_info.update(
        {
            "tasks": list(CIFAR10_TASKS),
            "n_train": N_TRAIN,
            "n_test": N_TEST,
            "wall_s_rounds": [round(r["wall_s"], 2) for r in runs],
            "cpu_s_rounds": [round(r["cpu_s"], 2) for r in runs],
            "phases_last_round": last["phases"],
            "omp_num_threads": THREADS,
            "images_encoded": last["images_encoded"],
            "unique_images_encoded": last["unique_images_encoded"],
            "unique_images_needed": expected,
            "texts_encoded": last["texts_encoded"],
            "main_scores": last["main_scores"],
        }
    )
    assert set(last["main_scores"]) == set(CIFAR10_TASKS)
    for run in runs:
        assert run["images_encoded"] == run["unique_images_encoded"] == expected
        (stats,) = run["harness_stats"]
        assert stats["encoded"]["image"] == expected
