"""Data-layer costs: lazy image decoding, opening a mirror, building the offline datasets.

- decoding: 1,000 rows of a 64x64 PNG image column read through `ImageColumn` (what a
  DataLoader worker pays per image, RGB conversion included);
- opening: `load_task_data` of a linear-probe task on an already cached mirror (what every
  task pays before its first embedding; nothing is decoded);
- materializing: writing every offline-suite dataset from scratch.
Run: pytest benchmarks/bench_data.py -p no:cacheprovider
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from datasets import ClassLabel, Dataset, Features, Image, disable_progress_bars
from PIL import Image as PILImage

from pytest_mieb.data import load_task_data, materialize_local_datasets
from pytest_mieb.data.images import ImageColumn
from pytest_mieb.data.source import clear_cache
from pytest_mieb.tasks.spec import DatasetRef, TaskSpec

N_ROWS = 1000
REF = DatasetRef("bench-org/images", "0" * 40)


def _png(k: int) -> dict:
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 64), (k % 256, 7, 9)).save(buffer, format="PNG")
    return {"bytes": buffer.getvalue(), "path": None}


@pytest.fixture(scope="module", autouse=True)
def private_datasets_cache(tmp_path_factory: pytest.TempPathFactory):
    """Keep datasets' Arrow cache out of ~/.cache and never reach for the Hub."""
    import datasets.config

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path_factory.mktemp("hf-cache"))
        patch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
        disable_progress_bars()
        yield


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench-mirror")
    features = Features({"image": Image(), "label": ClassLabel(names=["a", "b"])})
    table = Dataset.from_dict(
        {"image": [_png(k) for k in range(N_ROWS)], "label": [k % 2 for k in range(N_ROWS)]},
        features=features,
    )
    for split in ("train", "test"):
        path = root / REF.path / "data" / f"{split}-00000-of-00001.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        table.to_parquet(str(path))
    return root


def _spec() -> TaskSpec:
    return TaskSpec(
        name="BenchProbe",
        type="ImageClassification",
        protocol="linear_probe",
        dataset=REF,
        eval_split="test",
        main_score="accuracy",
        train_split="train",
    )


def test_decode_image_column(benchmark, mirror: Path) -> None:
    data = load_task_data(_spec(), data_dir=mirror)
    images = data.test.inputs.images
    assert isinstance(images, ImageColumn)

    def decode_all() -> int:
        return sum(images[i].width for i in range(len(images)))

    assert benchmark(decode_all) == 64 * N_ROWS


def test_open_cached_mirror(benchmark, mirror: Path) -> None:
    load_task_data(_spec(), data_dir=mirror)  # build datasets' Arrow cache once

    def open_task() -> int:
        clear_cache()
        return len(load_task_data(_spec(), data_dir=mirror).train.labels)

    assert benchmark(open_task) == N_ROWS


def test_materialize_offline_datasets(benchmark, tmp_path_factory: pytest.TempPathFactory) -> None:
    roots = iter(tmp_path_factory.mktemp(f"local-{k}") for k in range(100))
    built = benchmark.pedantic(lambda: materialize_local_datasets(next(roots)), rounds=2)
    assert len(built) > 10
