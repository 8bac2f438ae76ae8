"""Pack a processor's several per-image tensors into one flat tensor, and back.

The embedder stacks whatever `image_transform` returns into a batch tensor, but some
processors give several tensors per image (SigLIP 2 NaFlex: patches, a patch mask and
the grid shape; LLaVA: token ids, mask, image tiles, image size) whose first dimension
can vary per image. A `PackedLayout` fixes a maximum shape per field, pads each field
(on the left or right of its first dimension) and concatenates everything into one
float32 vector, so batches stack; `unpack` restores batched tensors of the maximum shape.
Integer fields must stay below 2**24 to survive float32 exactly (token ids, sizes do).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

_EXACT_INT_LIMIT = 1 << 24


@dataclass(frozen=True)
class PackedField:
    name: str
    shape: tuple[int, ...]  # maximum shape, one item (no batch dimension)
    dtype: str  # torch dtype name, e.g. "float32", "int64"
    pad_value: float = 0.0
    pad_side: Literal["left", "right"] = "right"

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class PackedLayout:
    fields: tuple[PackedField, ...]

    @property
    def size(self) -> int:
        return sum(f.numel for f in self.fields)

    def pack(self, features: Mapping[str, Any]) -> Any:
        """One item's tensors (no batch dim) -> a 1-D float32 tensor of `size` values."""
        import torch

        parts = []
        for f in self.fields:
            value = torch.as_tensor(features[f.name])
            if value.dim() != len(f.shape) or any(
                n > m for n, m in zip(value.shape, f.shape, strict=True)
            ):
                raise ValueError(
                    f"{f.name} has shape {tuple(value.shape)}, beyond the packed maximum {f.shape}"
                )
            too_big = not value.dtype.is_floating_point and value.numel() > 0
            if too_big and int(value.abs().max()) >= _EXACT_INT_LIMIT:
                raise ValueError(f"{f.name} holds integers too large to pack exactly")
            parts.append(_pad(value.to(torch.float32), f).reshape(-1))
        return torch.cat(parts)

    def unpack(self, batch: Any) -> dict[str, Any]:
        """A (n, size) batch -> {field: tensor (n, *shape)} in each field's dtype."""
        import torch

        if batch.dim() != 2 or batch.shape[1] != self.size:
            raise ValueError(f"packed batch must be (n, {self.size}), got {tuple(batch.shape)}")
        out: dict[str, Any] = {}
        offset = 0
        for f in self.fields:
            chunk = batch[:, offset : offset + f.numel].reshape(batch.shape[0], *f.shape)
            dtype = getattr(torch, f.dtype)
            out[f.name] = chunk.round().to(dtype) if not dtype.is_floating_point else chunk
            offset += f.numel
        return out


def _pad(value: Any, f: PackedField) -> Any:
    """Pad every dimension up to the field's shape (first dim on `pad_side`, others right)."""
    import torch

    if tuple(value.shape) == f.shape:
        return value
    out = torch.full(f.shape, float(f.pad_value), dtype=value.dtype)
    index = []
    for axis, (have, want) in enumerate(zip(value.shape, f.shape, strict=True)):
        start = want - have if axis == 0 and f.pad_side == "left" else 0
        index.append(slice(start, start + have))
    out[tuple(index)] = value
    return out


def layout_from_examples(
    examples: list[Mapping[str, Any]],
    pad_values: Mapping[str, float] | None = None,
    left_padded: tuple[str, ...] = (),
) -> PackedLayout:
    """The smallest layout that holds every example (tensors without batch dim)."""
    pad_values = pad_values or {}
    names = list(examples[0])
    fields = []
    for name in names:
        shapes = [tuple(ex[name].shape) for ex in examples]
        if len({len(s) for s in shapes}) != 1:
            raise ValueError(f"{name} changes rank between images: {shapes}")
        shape = tuple(max(dims) for dims in zip(*shapes, strict=True))
        dtype = str(examples[0][name].dtype).removeprefix("torch.")
        side: Literal["left", "right"] = "left" if name in left_padded else "right"
        fields.append(PackedField(name, shape, dtype, float(pad_values.get(name, 0.0)), side))
    return PackedLayout(tuple(fields))
