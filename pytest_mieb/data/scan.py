"""The facts of a task's pinned data that decide whether pytest-mieb and the reference see
the same inputs (`python -m pytest_mieb scan`).

Per dataset, over every config and split it holds: how many images carry an EXIF
orientation other than 1 (turned upright at decode, as `datasets` does), have an alpha
channel (dropped by the RGB conversion, which models may do differently), are in a mode
other than RGB, and the largest image; how many texts have surrounding whitespace
(stripped for retrieval documents, kept elsewhere; id columns are not texts); repeated ids
in `id` / `_id` columns (merged in retrieval); and configs beyond the ones the loaders
read (`top_ranked`, `instruction`, ...). Images are read from their header and EXIF block
only, never fully decoded.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_mieb.data.images import EXIF_ORIENTATION
from pytest_mieb.data.source import DataSource
from pytest_mieb.data.task_dataset import sts_subsets_plan

#: Configs some loader reads by name; any other config that is not a task subset is "extra".
READ_CONFIGS = frozenset({"default", "corpus", "query", "queries", "qrels"})
ID_COLUMNS = ("id", "_id")
ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


@dataclass
class ScanFacts:
    """What one dataset holds; counts over all its configs and splits."""

    dataset: str
    configs: list[str] = field(default_factory=list)
    extra_configs: list[str] = field(default_factory=list)
    images: int = 0
    exif_rotated: int = 0
    alpha: int = 0
    non_rgb: int = 0
    unreadable: int = 0
    largest: tuple[int, int] = (0, 0)
    largest_at: str = ""
    texts: int = 0
    padded_texts: int = 0
    duplicate_ids: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line: shares of the images and texts, then the rest."""
        width, height = self.largest
        parts = [
            f"images {self.images}",
            f"exif-rotated {_share(self.exif_rotated, self.images)}",
            f"alpha {_share(self.alpha, self.images)}",
            f"non-RGB {_share(self.non_rgb, self.images)}",
            f"largest {width}x{height}" + (f" ({self.largest_at})" if self.largest_at else ""),
            f"texts {self.texts}",
            f"padded {_share(self.padded_texts, self.texts)}",
            "duplicate ids "
            + (", ".join(f"{k}: {v}" for k, v in self.duplicate_ids.items()) or "none"),
            "extra configs " + (", ".join(self.extra_configs) or "none"),
        ]
        if self.unreadable:
            parts.insert(4, f"unreadable {self.unreadable}")
        return "; ".join(parts)


def _share(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.1f}%)" if whole else "0"


def task_subsets(spec: Any) -> list[str]:
    """The configs a task reads as subsets (an aggregate's: its sub-task's)."""
    if spec.loader == "sts_subsets":
        return list(sts_subsets_plan(spec)[1])
    return list(spec.subsets)


def scan_source(src: DataSource, subsets: Iterable[str] = ()) -> ScanFacts:
    """Scan every config and split of the dataset `src` opens."""
    configs = src.configs()
    known = READ_CONFIGS | set(subsets)
    facts = ScanFacts(
        dataset=str(src.ref), configs=configs, extra_configs=[c for c in configs if c not in known]
    )
    for config in configs:
        loaded = src.load(config)
        for split, dataset in loaded.items():
            scan_split(facts, dataset, f"{config}/{split}")
    return facts


def scan_split(facts: ScanFacts, dataset: Any, where: str) -> None:
    """Add one split's images, texts and ids to `facts`."""
    from datasets import Image, Sequence, Value

    for column, feature in dataset.features.items():
        if isinstance(feature, Image):
            cells = dataset.cast_column(column, Image(decode=False))[column]
            _scan_images(facts, cells, f"{where}/{column}")
        elif isinstance(feature, dict) and "bytes" in feature:  # raw {bytes, path} struct
            _scan_images(facts, dataset[column], f"{where}/{column}")
        elif column in ID_COLUMNS:
            repeated = sum(n - 1 for n in Counter(dataset[column]).values() if n > 1)
            if repeated:
                facts.duplicate_ids[f"{where}/{column}"] = repeated
        elif _is_id(column):
            continue
        elif isinstance(feature, Value) and feature.dtype in ("string", "large_string"):
            _scan_texts(facts, dataset[column])
        elif isinstance(feature, Sequence | list) and _is_string_list(feature):
            for values in dataset[column]:
                _scan_texts(facts, values or ())


def _is_id(column: str) -> bool:
    """qrels / top_ranked id columns (query-id, corpus-id, corpus-ids): not texts."""
    return column.endswith(("-id", "-ids", "_id"))


def _is_string_list(feature: Any) -> bool:
    from datasets import Value

    inner = feature[0] if isinstance(feature, list) else feature.feature
    return isinstance(inner, Value) and inner.dtype in ("string", "large_string")


def _scan_texts(facts: ScanFacts, values: Sequence[Any]) -> None:
    for text in values:
        if isinstance(text, str):
            facts.texts += 1
            facts.padded_texts += text != text.strip()


def _scan_images(facts: ScanFacts, cells: Sequence[Any], where: str) -> None:
    from PIL import Image as PILImage

    for row, cell in enumerate(cells):
        if cell is None:
            continue
        facts.images += 1
        try:
            data = cell.get("bytes") if isinstance(cell, dict) else None
            path = cell.get("path") if isinstance(cell, dict) else None
            with PILImage.open(io.BytesIO(data) if data is not None else path) as image:
                mode, size = image.mode, image.size
                has_alpha = mode in ALPHA_MODES or "transparency" in image.info
                orientation = image.getexif().get(EXIF_ORIENTATION)
        except Exception:
            facts.unreadable += 1
            continue
        facts.exif_rotated += orientation not in (None, 1)
        facts.alpha += has_alpha
        facts.non_rgb += mode != "RGB"
        if size[0] * size[1] > facts.largest[0] * facts.largest[1]:
            facts.largest, facts.largest_at = size, f"{where} row {row}"
