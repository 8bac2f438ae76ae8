"""Packing several per-image tensors into one stackable vector, and back."""

from __future__ import annotations

import pytest
import torch

from pytest_mieb.models.packing import PackedField, PackedLayout, layout_from_examples


def test_round_trip_pads_left_and_right_and_restores_dtypes() -> None:
    items = [
        {"ids": torch.tensor([5, 6, 7]), "tiles": torch.ones(1, 2), "size": torch.tensor([4, 9])},
        {"ids": torch.tensor([8]), "tiles": torch.full((3, 2), 2.5), "size": torch.tensor([1, 2])},
    ]
    layout = layout_from_examples(items, pad_values={"ids": 0.0}, left_padded=("ids",))
    assert [f.shape for f in layout.fields] == [(3,), (3, 2), (2,)]
    batch = torch.stack([layout.pack(item) for item in items])
    assert batch.shape == (2, layout.size) == (2, 3 + 6 + 2)
    out = layout.unpack(batch)
    assert out["ids"].dtype == torch.int64
    assert out["ids"].tolist() == [[5, 6, 7], [0, 0, 8]]
    assert out["tiles"].tolist() == [
        [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]],
        [[2.5, 2.5], [2.5, 2.5], [2.5, 2.5]],
    ]
    assert out["size"].tolist() == [[4, 9], [1, 2]]


def test_items_beyond_the_layout_are_refused() -> None:
    layout = PackedLayout((PackedField("ids", (2,), "int64"),))
    with pytest.raises(ValueError, match="beyond the packed maximum"):
        layout.pack({"ids": torch.tensor([1, 2, 3])})
    with pytest.raises(ValueError, match="too large to pack exactly"):
        layout.pack({"ids": torch.tensor([1 << 25])})
    with pytest.raises(ValueError, match=r"must be \(n, 2\)"):
        layout.unpack(torch.zeros(1, 5))
