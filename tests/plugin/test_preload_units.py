"""The pieces of the preload: the collector paused and restored, frozen, evaluators imported,
their libraries listed and imported."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from pytest_mieb.plugin.preload import (
    evaluator_libraries,
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


def test_what_the_pause_allocated_is_frozen_before_the_collector_resumes() -> None:
    code = (
        "import gc\n"
        "from pytest_mieb.plugin.preload import paused_then_frozen\n"
        "walks = []\n"
        "gc.callbacks.append(lambda phase, info: walks.append(info['generation']))\n"
        "with paused_then_frozen():\n"
        "    kept = [[] for _ in range(50_000)]\n"
        "walks_at_the_end = len(walks)\n"
        "more = [[] for _ in range(5_000)]  # past the threshold: the collector runs\n"
        "print(walks_at_the_end, len(walks) > 0, gc.get_freeze_count() >= 50_000)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # No collection walked the 50,000 objects on the way out (frozen first), and the
    # collector runs again afterwards.
    assert out.stdout.split() == ["0", "True", "True"]


def test_the_run_s_evaluators_are_imported_without_their_libraries() -> None:
    code = (
        "import sys\n"
        "from pytest_mieb.plugin.preload import import_evaluators\n"
        "import_evaluators(['kmeans_clustering', 'kmeans_clustering', 'linear_probe'])\n"
        "print(*(m in sys.modules for m in ('pytest_mieb.evaluators.clustering', 'datasets',"
        " 'pytest_mieb.evaluators.classification', 'pytest_mieb.evaluators.sts',"
        " 'sklearn', 'scipy')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # only the run's task types, and scikit-learn and scipy not yet (`spare_time`)
    assert out.stdout.split() == ["True", "True", "True", "False", "False", "False"]


def test_each_task_type_lists_the_libraries_its_evaluator_imports_where_it_uses_them() -> None:
    assert evaluator_libraries(["linear_probe"]) == (
        "sklearn.linear_model",
        "sklearn.neighbors",
        "sklearn.preprocessing",
        "sklearn.metrics",
    )
    both = evaluator_libraries(["kmeans_clustering", "zero_shot", "kmeans_clustering"])
    assert both == (
        "scipy.optimize",
        "sklearn.cluster",
        "sklearn.metrics",
        "sklearn.metrics.cluster",
    )
    assert evaluator_libraries(["retrieval", "image_text_pair_matching", "no-such-protocol"]) == ()


def test_an_evaluator_or_library_that_cannot_be_imported_is_left_to_its_items() -> None:
    code = (
        "import sys\n"
        "sys.modules['sklearn.cluster'] = None  # an import of it raises ImportError\n"
        "sys.modules['pytest_mieb.evaluators.sts'] = None\n"
        "from pytest_mieb.plugin.preload import evaluator_libraries, import_evaluators,"
        " import_libraries\n"
        "protocols = ['kmeans_clustering', 'visual_sts', 'zero_shot', 'no-such-protocol']\n"
        "import_evaluators(protocols)\n"
        "libraries = evaluator_libraries(protocols)\n"
        "import_libraries(libraries)\n"
        "print(*libraries)\n"
        "print(*(m in sys.modules for m in ('pytest_mieb.evaluators.clustering',"
        " 'sklearn.metrics.cluster')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    listed, imported = out.stdout.splitlines()
    assert listed.split() == [
        "scipy.optimize",
        "sklearn.cluster",
        "sklearn.metrics",
        "sklearn.metrics.cluster",
    ]
    # the STS evaluator lists nothing; the libraries after the one that failed are imported
    assert imported.split() == ["True", "True"]
