"""Shared set-up for plugin runs: the offline datasets, generated once per test session.

pytester's in-process runs drop modules first imported during a run; C extensions such as
torch cannot be imported a second time in one process, so they are imported here, once.
"""

from __future__ import annotations

from pathlib import Path

import datasets  # noqa: F401
import pytest
import sklearn.linear_model  # noqa: F401
import torch  # noqa: F401


@pytest.fixture(scope="session")
def local_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pytest_mieb.data import materialize_local_datasets

    root = tmp_path_factory.mktemp("local-data")
    materialize_local_datasets(root)
    return root


@pytest.fixture
def offline_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No hub access and no writes to the user's caches."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-datasets"))
