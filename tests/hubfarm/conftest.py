"""hubfarm tests: offline, datasets caches in a temporary folder, the farm importable."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.append(str(BENCHMARKS))  # appended: benchmarks' own modules never shadow others


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "hubfarm_full: a non-MIEB(lite) task's mirror round trip (runs with HUBFARM_ALL=1)",
    )


@pytest.fixture(scope="module")
def offline_caches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    import datasets
    import datasets.config
    from huggingface_hub import constants as hub_constants

    from pytest_mieb.data.source import clear_cache

    cache = tmp_path_factory.mktemp("hubfarm-hf-datasets")
    patch = pytest.MonkeyPatch()
    patch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    patch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True)
    patch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    patch.setattr(datasets.config, "DOWNLOADED_DATASETS_PATH", cache / "downloads")
    patch.setattr(datasets.config, "EXTRACTED_DATASETS_PATH", cache / "extracted")
    patch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    datasets.disable_progress_bars()
    clear_cache()
    yield cache
    clear_cache()
    patch.undo()
