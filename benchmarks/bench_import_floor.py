"""The fixed cost under issue 7 (b)'s end-to-end figure: a process that only imports what
the three CIFAR10 tasks need, and exits, doing no work.

Any harness that runs the transformers CLIP model and scikit-learn's probe and k-means on
datasets-loaded data in one Python process pays at least this, and mteb pays it too. Each
level adds imports to the one before; "os._exit" skips the interpreter's teardown (module
and object finalisation), which otherwise costs over a second once transformers is in.

Run: pytest benchmarks/bench_import_floor.py -p no:cacheprovider
"""

from __future__ import annotations

import subprocess
import sys

import pytest

LEVELS = {
    "1-pytest": "import pytest",
    "2-torch": "import pytest, torch",
    "3-transformers-clip": "import pytest, torch; from transformers import CLIPModel",
    "4-all-three-tasks": (
        "import pytest, torch; from transformers import CLIPModel; "
        "import sklearn.linear_model, sklearn.cluster, datasets"
    ),
}
EXITS = {"normal": "", "os._exit": "; import os; os._exit(0)"}


@pytest.mark.parametrize("exit_kind", sorted(EXITS))
@pytest.mark.parametrize("level", sorted(LEVELS))
def test_import_floor(benchmark, level: str, exit_kind: str) -> None:
    code = LEVELS[level] + EXITS[exit_kind]

    def run() -> None:
        subprocess.run([sys.executable, "-c", code], check=True)

    benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1)


OVERLAP = """
import sys, threading
import torch
def rest():
    import sklearn.linear_model, sklearn.cluster, datasets
if sys.argv[1] == "thread":
    worker = threading.Thread(target=rest)
    worker.start()
from transformers import CLIPModel
if sys.argv[1] == "thread":
    worker.join()
else:
    rest()
import os; os._exit(0)
"""


@pytest.mark.parametrize("how", ["serial", "thread"])
def test_imports_overlapped_in_a_thread(benchmark, how: str) -> None:
    """Level 4 without pytest: scikit-learn and datasets imported after transformers'
    CLIP, or at the same time in a second thread (no faster: imports hold the GIL)."""

    def run() -> None:
        subprocess.run([sys.executable, "-c", OVERLAP, how], check=True)

    benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1)
