"""Lazy image columns: rows stay encoded in Arrow until an item is read.

`ImageColumn` is the `Inputs.images` sequence of every loader. It reads the encoded bytes
of one row on `__getitem__`, decodes them with PIL and converts to RGB. **`to_rgb` here is
the one RGB conversion**, used by the data layer, the embedder's decode workers and the
model adapters alike (mteb hands native modes to models whose preprocessing converts;
converting here gives the same pixels and spares the embedder the job, for which an RGB
image is left as it is). A cell that cannot be decoded raises `CorruptImageError` naming
dataset, revision, split, column and row.

Instances pickle cheaply (the Arrow data is memory-mapped and pickled by file name), so
DataLoader workers can decode in parallel.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from pytest_mieb.data.errors import CorruptImageError


def to_rgb(image: Any) -> Any:
    """PIL image in RGB mode (L, P, RGBA, CMYK, ... are converted; alpha is dropped); an
    RGB image is returned as it is. Light on purpose (no PIL import), so the models may
    import it too."""
    mode = getattr(image, "mode", "RGB")
    return image if mode == "RGB" else image.convert("RGB")


class ImageColumn(Sequence):
    """Images of column `column` of a `datasets.Dataset`, optionally only rows `rows`.

    `where` names the data for error messages ("org/name@rev split 'test'"). Row numbers
    in messages are those of the underlying split, whatever selection is applied.
    """

    def __init__(
        self, dataset: Any, column: str, where: str, rows: Sequence[int] | None = None
    ) -> None:
        from datasets import Image

        table = dataset.select_columns([column])
        if isinstance(table.features[column], Image):
            table = table.cast_column(column, Image(decode=False))
        self._table = table
        self._column = column
        self._where = where
        self._rows = None if rows is None else [int(r) for r in rows]

    def __len__(self) -> int:
        return len(self._table) if self._rows is None else len(self._rows)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"image index {index} out of range for {n} rows")
        position = index % n
        row = position if self._rows is None else self._rows[position]
        return self._decode(self._table[row][self._column], row)

    def rows(self) -> list[int]:
        """The underlying split rows this column reads, in order."""
        return list(range(len(self._table))) if self._rows is None else list(self._rows)

    def _decode(self, cell: Any, row: int) -> Any:
        from PIL import Image as PILImage

        try:
            if cell is None:
                raise ValueError("the cell is empty")
            if isinstance(cell, PILImage.Image):
                image = cell
            elif isinstance(cell, dict):
                data = cell.get("bytes")
                if data is not None:
                    image = PILImage.open(io.BytesIO(data))
                elif cell.get("path"):
                    image = PILImage.open(cell["path"])
                else:
                    raise ValueError("the cell has neither bytes nor a path")
            elif isinstance(cell, bytes | bytearray):
                image = PILImage.open(io.BytesIO(cell))
            else:
                raise ValueError(f"unexpected cell type {type(cell).__name__}")
            image.load()
            return to_rgb(image)
        except Exception as exc:
            raise CorruptImageError(
                f"{self._where} column {self._column!r} row {row}: cannot decode the image "
                f"({type(exc).__name__}: {exc})"
            ) from exc
