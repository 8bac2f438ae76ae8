"""The pieces of the preload: the collector paused and restored, frozen, evaluators imported."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from pytest_mieb.plugin.preload import (
    garbage_collection_paused,
)


@pytest.mark.parametrize("enabled_before", [True, False])
def test_the_collector_is_paused_and_left_as_it_was(enabled_before: bool) -> None:
    was = gc.isenabled()
    (gc.enable if enabled_before else gc.disable)()
    try:
        with pytest.raises(RuntimeError), garbage_collection_paused():
            assert not gc.isenabled()
            raise RuntimeError("a failed load")
        assert gc.isenabled() is enabled_before
    finally:
        (gc.enable if was else gc.disable)()


def test_what_is_alive_is_frozen_without_a_full_collection() -> None:
    code = (
        "import gc\n"
        "from pytest_mieb.plugin.preload import keep_out_of_garbage_collection\n"
        "kept = [[] for _ in range(100)]\n"
        "walks = []\n"
        "gc.callbacks.append(lambda phase, info: walks.append(info['generation']))\n"
        "keep_out_of_garbage_collection()\n"
        "print(gc.get_freeze_count() >= 100, walks)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "[]"]  # frozen, and no collection walked the heap


def test_the_run_s_evaluators_are_imported() -> None:
    code = (
        "import sys\n"
        "from pytest_mieb.plugin.preload import import_evaluators\n"
        "import_evaluators(['kmeans_clustering', 'kmeans_clustering'])\n"
        "print(*(m in sys.modules for m in ('pytest_mieb.evaluators.clustering', 'datasets',"
        " 'pytest_mieb.evaluators.classification')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "False"]  # only the run's task types


def test_an_evaluator_that_cannot_be_imported_is_left_to_its_items() -> None:
    code = (
        "import sys\n"
        "sys.modules['sklearn.cluster'] = None  # an import of it raises ImportError\n"
        "from pytest_mieb.plugin.preload import import_evaluators\n"
        "import_evaluators(['kmeans_clustering', 'zero_shot', 'no-such-protocol'])\n"
        "print(*(m in sys.modules for m in ('pytest_mieb.evaluators.zeroshot',"
        " 'pytest_mieb.evaluators.clustering')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]
