"""Every data test runs offline, with Hugging Face caches in temporary directories."""

from __future__ import annotations

from pathlib import Path

import datasets
import datasets.config
import pytest
from huggingface_hub import constants as hub_constants

from pytest_mieb.data.source import clear_cache


@pytest.fixture(scope="session")
def hf_cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hf-caches")


@pytest.fixture(autouse=True)
def offline_hf(monkeypatch: pytest.MonkeyPatch, hf_cache_root: Path):
    home = hf_cache_root / "home"
    cache = hf_cache_root / "datasets"
    for name, value in {
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "HF_HOME": str(home),
        "HF_DATASETS_CACHE": str(cache),
        "HF_HUB_CACHE": str(home / "hub"),
    }.items():
        monkeypatch.setenv(name, value)
    # the libraries read these at import time; set the live values too
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    monkeypatch.setattr(datasets.config, "DOWNLOADED_DATASETS_PATH", cache / "downloads")
    monkeypatch.setattr(datasets.config, "EXTRACTED_DATASETS_PATH", cache / "extracted")
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(home / "hub"))
    datasets.disable_progress_bars()
    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """The root of a local mirror: datasets go under data_dir/org/name."""
    root = tmp_path / "mirror"
    root.mkdir()
    return root
