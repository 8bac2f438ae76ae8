"""Multi-vector (late-interaction) embeddings: a bag of token vectors per input.

ColPali-style encoders return one matrix of token vectors per input instead of one vector.
`MultiVectors` holds n such matrices packed into one float32 ``(total_tokens, dim)`` array with
``offsets`` (item i is ``data[offsets[i]:offsets[i + 1]]``), so a whole column is two plain
arrays: cheap to slice by rows, to keep in the memory cache and to write to disk as ``.npy``
files without pickle (`pytest_mieb.embed.cache`).

``parts`` (n, p) says how many tokens each of an item's p parts holds (one part for a text or
an image; a fused image+text input is its text tokens, then its image tokens). mteb pads every
part to the longest of its corpus chunk and scores padding rows as zero vectors; the MaxSim
scorer needs the part lengths to reproduce that (`pytest_mieb.metrics.maxsim.padding_floor`).

Pure numpy: importing this module imports no torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, eq=False)
class MultiVectors:
    """n inputs' token vectors, packed. Treat as immutable (the arrays are made read-only)."""

    data: np.ndarray  # float32 (total_tokens, dim)
    offsets: np.ndarray  # int64 (n + 1,), offsets[0] == 0, non-decreasing
    parts: np.ndarray  # int64 (n, p), rows sum to the items' token counts

    def __post_init__(self) -> None:
        if self.data.ndim != 2 or self.offsets.ndim != 1 or self.parts.ndim != 2:
            raise ValueError(
                f"MultiVectors needs data (T, d), offsets (n+1,), parts (n, p); got "
                f"{self.data.shape}, {self.offsets.shape}, {self.parts.shape}"
            )
        n = len(self.offsets) - 1
        if n < 0 or self.offsets[0] != 0 or self.offsets[-1] != len(self.data):
            raise ValueError("MultiVectors offsets must run from 0 to the number of token rows")
        if len(self.parts) != n or not np.array_equal(self.parts.sum(axis=1), self.lengths):
            raise ValueError("MultiVectors parts must sum to each item's token count")

    @classmethod
    def from_items(
        cls, items: Sequence[Any], parts: Sequence[Sequence[int]] | None = None, dim: int = 0
    ) -> MultiVectors:
        """Pack 2-D arrays or CPU tensors (one per input, real tokens only)."""
        arrays = [np.asarray(item, dtype=np.float32) for item in items]
        for i, arr in enumerate(arrays):
            if arr.ndim != 2:
                raise ValueError(
                    f"multi-vector item {i} must be 2-D (tokens, dim), got {arr.shape}"
                )
        widths = {arr.shape[1] for arr in arrays}
        if len(widths) > 1:
            raise ValueError(f"multi-vector items have different dimensions: {sorted(widths)}")
        width = widths.pop() if widths else dim
        lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
        offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        data = np.concatenate(arrays) if arrays else np.zeros((0, width), dtype=np.float32)
        split = lengths[:, None] if parts is None else np.asarray(parts, dtype=np.int64)
        if split.ndim != 2:
            split = split.reshape(len(arrays), -1)
        return cls(data.reshape(-1, width), offsets, split).frozen()

    def frozen(self) -> MultiVectors:
        for arr in (self.data, self.offsets, self.parts):
            arr.flags.writeable = False
        return self

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def dim(self) -> int:
        return int(self.data.shape[1])

    @property
    def shape(self) -> tuple[int, int]:
        """(n, dim): what a caller that counts rows and checks widths needs."""
        return (len(self), self.dim)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes + self.offsets.nbytes + self.parts.nbytes)

    def item(self, i: int) -> np.ndarray:
        return self.data[self.offsets[i] : self.offsets[i + 1]]

    def __getitem__(self, rows: Any) -> MultiVectors:
        """The items at `rows` (an index array, list or slice), in that order."""
        picked = np.arange(len(self))[rows] if isinstance(rows, slice) else np.asarray(rows)
        picked = picked.astype(np.int64).reshape(-1)
        if len(picked) == len(self) and np.array_equal(picked, np.arange(len(self))):
            return self
        starts, ends = self.offsets[picked], self.offsets[picked + 1]
        lengths = ends - starts
        if len(picked) and np.array_equal(picked, np.arange(picked[0], picked[0] + len(picked))):
            data = self.data[starts[0] : ends[-1]]  # a contiguous run: a view, not a copy
        else:
            token_rows = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
            token_rows += np.arange(int(lengths.sum()), dtype=np.int64)
            data = self.data[token_rows]
        offsets = np.zeros(len(picked) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        data = np.asarray(data, dtype=np.float32)
        return MultiVectors(data, offsets, self.parts[picked]).frozen()

    def all_finite(self) -> bool:
        return bool(np.isfinite(self.data).all())


def is_multivector(emb: Any) -> bool:
    return isinstance(emb, MultiVectors)


def concat(blocks: Sequence[MultiVectors]) -> MultiVectors:
    """The items of every block, in order (blocks must agree on dim and part count)."""
    if not blocks:
        raise ValueError("nothing to concatenate")
    offsets = [np.zeros(1, dtype=np.int64)]
    total = 0
    for block in blocks:
        offsets.append(block.offsets[1:] + total)
        total += int(block.offsets[-1])
    return MultiVectors(
        np.concatenate([b.data for b in blocks]),
        np.concatenate(offsets),
        np.concatenate([b.parts for b in blocks]),
    ).frozen()
