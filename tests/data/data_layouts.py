"""Test helpers: small datasets written in the Hub's repo layouts, independently of the
code under test (plain `datasets` writes, README YAML and tar files by hand)."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from datasets import Dataset, Features
from PIL import Image

from pytest_mieb.tasks.spec import DatasetRef, TaskSpec

REVISION = "0123456789abcdef0123456789abcdef01234567"

Table = tuple[Mapping[str, Sequence[Any]], Features]


def encoded(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def cell(image: Image.Image, fmt: str = "PNG") -> dict[str, Any]:
    return {"bytes": encoded(image, fmt), "path": None}


def solid(value: int, mode: str = "RGB", size: tuple[int, int] = (6, 5)) -> Image.Image:
    """A one-colour image whose pixel value identifies it after decoding."""
    colour: Any = value if mode in ("L", "P") else (value,) * len(mode)
    return Image.new(mode, size, colour)


def write_parquet(path: Path, table: Table) -> None:
    columns, features = table
    path.parent.mkdir(parents=True, exist_ok=True)
    Dataset.from_dict(dict(columns), features=features).to_parquet(str(path))


def default_repo(root: Path, splits: Mapping[str, Table]) -> Path:
    """A single-config repo: data/<split>-00000-of-00001.parquet."""
    for split, table in splits.items():
        write_parquet(root / "data" / f"{split}-00000-of-00001.parquet", table)
    return root


def configs_repo(root: Path, configs: Mapping[str, Mapping[str, Table]]) -> Path:
    """A multi-config repo: <config>/<split>-*.parquet listed in README.md's `configs:`."""
    yaml = ["---", "configs:"]
    for config, splits in configs.items():
        yaml += [f"- config_name: {config}", "  data_files:"]
        for split, table in splits.items():
            write_parquet(root / config / f"{split}-00000-of-00001.parquet", table)
            yaml += [f"  - split: {split}", f"    path: {config}/{split}-*.parquet"]
    (root / "README.md").write_text("\n".join([*yaml, "---", ""]), encoding="utf-8")
    return root


def wds_repo(root: Path, splits: Mapping[str, Sequence[Mapping[str, bytes]]]) -> Path:
    """A WebDataset repo: <split>/0.tar with members <key>.<ext>."""
    for split, samples in splits.items():
        (root / split).mkdir(parents=True, exist_ok=True)
        with tarfile.open(root / split / "0.tar", "w") as tar:
            for k, members in enumerate(samples):
                for ext, data in members.items():
                    info = tarfile.TarInfo(f"sample{k:04d}.{ext}")
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
    return root


def make_spec(**overrides: Any) -> TaskSpec:
    fields: dict[str, Any] = {
        "name": "TestTask",
        "type": "ImageClassification",
        "protocol": "linear_probe",
        "dataset": DatasetRef("test-org/test-data", REVISION),
        "eval_split": "test",
        "main_score": "accuracy",
    }
    fields.update(overrides)
    return TaskSpec(**fields)
