"""Lazy image columns: rows stay encoded in Arrow until an item is read.

`ImageColumn` is the `Inputs.images` sequence of every loader. It reads the encoded bytes
of one row on `__getitem__`, decodes them with PIL (`open_image`: exactly what `datasets`'
`Image` feature does, EXIF orientation included, since that is how the reference sees every
image) and converts to RGB. With `reencoded=True` an `Image`-typed column is also stored
and read back as a `Dataset.map` that returns the decoded image stores it
(`as_map_stores_it`: ImageCoDe and WIT, whose reference loaders rebuild their datasets
that way). **`to_rgb` here is
the one RGB conversion**, used by the data layer, the embedder's decode workers and the
model adapters alike (mteb hands native modes to models whose preprocessing converts;
converting here gives the same pixels and spares the embedder the job, for which an RGB
image is left as it is). A cell that cannot be decoded raises `CorruptImageError` naming
dataset, revision, split, column and row.

Instances pickle cheaply (the Arrow data is memory-mapped and pickled by file name), so
worker processes can decode in parallel.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from pytest_mieb.data.errors import CorruptImageError

#: The EXIF tag `datasets` looks for before it transposes (Orientation).
EXIF_ORIENTATION = 0x0112
#: Modes `datasets` stores as PNG when the image's own format cannot be written; others TIFF.
PNG_MODES = frozenset({"1", "L", "LA", "RGB", "RGBA"})


def to_rgb(image: Any) -> Any:
    """PIL image in RGB mode (L, P, RGBA, CMYK, ... are converted; alpha is dropped); an
    RGB image is returned as it is. Light on purpose (no PIL import), so the models may
    import it too."""
    mode = getattr(image, "mode", "RGB")
    return image if mode == "RGB" else image.convert("RGB")


def open_image(cell: Any) -> Any:
    """Decode one encoded cell (`{"bytes", "path"}` dict, raw bytes or a file path) as
    `datasets`' `Image` feature does: open, load, and when the image carries an EXIF
    Orientation tag (any value, 1 included) `ImageOps.exif_transpose` it. A PIL image is
    returned as it is (decoding is idempotent there too)."""
    from PIL import Image as PILImage

    if isinstance(cell, PILImage.Image):
        return cell
    if isinstance(cell, dict):
        data = cell.get("bytes")
        if data is not None:
            image = PILImage.open(io.BytesIO(data))
        elif cell.get("path"):
            image = PILImage.open(cell["path"])
        else:
            raise ValueError("the cell has neither bytes nor a path")
    elif isinstance(cell, bytes | bytearray):
        image = PILImage.open(io.BytesIO(cell))
    elif isinstance(cell, str | os.PathLike):
        image = PILImage.open(cell)
    else:
        raise ValueError(f"unexpected cell type {type(cell).__name__}")
    image.load()
    return apply_exif_orientation(image)


def apply_exif_orientation(image: Any) -> Any:
    """`image` turned upright by its EXIF Orientation tag, when it has one (a copy, whose
    `format` is None, as `datasets` returns it); unchanged without the tag."""
    if image.getexif().get(EXIF_ORIENTATION) is None:
        return image
    from PIL import ImageOps

    return ImageOps.exif_transpose(image)


@lru_cache(maxsize=1)
def _round_trip_formats() -> frozenset[str]:
    """Formats PIL can both read and write: `datasets` keeps an image's own format then."""
    from PIL import Image as PILImage

    PILImage.init()
    return frozenset(PILImage.OPEN) & frozenset(PILImage.SAVE)


def stored_bytes(image: Any) -> bytes:
    """The bytes `datasets` writes for a decoded PIL image (`Image.encode_example`): its own
    format if PIL can write it, else PNG (modes 1/L/LA/RGB/RGBA) or TIFF, saved with PIL's
    defaults (JPEG quality 75 with 4:2:0 subsampling, lossy WEBP at quality 80)."""
    if image.format in _round_trip_formats():
        fmt = image.format
    else:
        fmt = "PNG" if image.mode in PNG_MODES else "TIFF"
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def as_map_stores_it(image: Any) -> Any:
    """`image` (decoded by `open_image`) after a `Dataset.map` returned it into an `Image`
    column and the column was read back: an image opened from a file keeps its path (so its
    pixels); any other is written as `stored_bytes` and decoded again. Lossy for JPEG and
    WEBP; lossless (PNG/TIFF) for images that had an Orientation tag, whose `format` the
    transpose cleared."""
    if getattr(image, "filename", ""):
        return image
    return open_image({"bytes": stored_bytes(image), "path": None})


class ImageColumn(Sequence):
    """Images of column `column` of a `datasets.Dataset`, optionally only rows `rows`.

    `where` names the data for error messages ("org/name@rev split 'test'"). Row numbers
    in messages are those of the underlying split, whatever selection is applied.
    `reencoded` applies `as_map_stores_it` to the cells of an `Image`-typed column (a raw
    `{bytes, path}` struct column is passed through a map untouched, so it is not).
    """

    def __init__(
        self,
        dataset: Any,
        column: str,
        where: str,
        rows: Sequence[int] | None = None,
        *,
        reencoded: bool = False,
    ) -> None:
        from datasets import Image

        table = dataset.select_columns([column])
        typed = isinstance(table.features[column], Image)
        if typed:
            table = table.cast_column(column, Image(decode=False))
        self._table = table
        self._column = column
        self._where = where
        self._rows = None if rows is None else [int(r) for r in rows]
        self._reencoded = reencoded and typed

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
        try:
            if cell is None:
                raise ValueError("the cell is empty")
            image = open_image(cell)
            if self._reencoded:
                image = as_map_stores_it(image)
            return to_rgb(image)
        except Exception as exc:
            raise CorruptImageError(
                f"{self._where} column {self._column!r} row {row}: cannot decode the image "
                f"({type(exc).__name__}: {exc})"
            ) from exc
