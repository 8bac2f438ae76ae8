"""Multi-vector encoders through the Embedder: row order, de-duplication, slicing of cached
columns, and the on-disk cache (plain .npy arrays in an .npz, no pickle)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import torch

from pytest_mieb.data.containers import Inputs
from pytest_mieb.embed.cache import CacheKey, DiskCache
from pytest_mieb.embed.embedder import Embedder
from pytest_mieb.embed.multivector import MultiVectors


class BagEncoder:
    """One token vector per character of a text (its code point, then 1s): easy to check."""

    name = "bags"
    revision = "1"
    embed_dim = 3
    similarity = "maxsim"
    image_transform = None
    fingerprint = "bags-v1"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode_texts(self, texts):
        self.calls.append(list(texts))
        return MultiVectors.from_items([self.expected(t) for t in texts])

    def encode_images(self, images):
        return MultiVectors.from_items([torch.full((2 + im.size[0] % 3, 3), 1.0) for im in images])

    @staticmethod
    def expected(text: str) -> np.ndarray:
        return np.array([[ord(c), 1.0, 1.0] for c in text], dtype=np.float32)


def test_texts_come_back_in_order_once_per_unique_text() -> None:
    encoder = BagEncoder()
    texts = ["ab", "c", "ab", "defg", ""[:0] + "xy"]
    out = Embedder(encoder, batch_size=2).embed(Inputs("t", texts=texts))
    assert isinstance(out, MultiVectors) and len(out) == 5
    for i, text in enumerate(texts):
        np.testing.assert_array_equal(out.item(i), BagEncoder.expected(text))
    assert sum(len(c) for c in encoder.calls) == 4  # "ab" encoded once


def test_disk_cache_round_trip_without_pickle(tmp_path: Path) -> None:
    texts = ["one", "three", "five!"]
    first = Embedder(BagEncoder(), cache_dir=tmp_path).embed(Inputs("t", texts=texts))
    files = list(tmp_path.rglob("*.mv.npz"))
    assert len(files) == 1
    with zipfile.ZipFile(files[0]) as archive:
        assert sorted(archive.namelist()) == ["data.npy", "offsets.npy", "parts.npy"]
    with np.load(files[0], allow_pickle=False) as archive:  # plain arrays only
        assert archive["data"].dtype == np.float32
    again_encoder = BagEncoder()
    again = Embedder(again_encoder, cache_dir=tmp_path)
    second = again.embed(Inputs("t", texts=texts))
    assert again_encoder.calls == [] and again.stats.disk_hits == 1
    np.testing.assert_array_equal(second.data, first.data)
    np.testing.assert_array_equal(second.offsets, first.offsets)


def test_a_damaged_cache_file_is_a_miss(tmp_path: Path) -> None:
    disk = DiskCache(tmp_path)
    key = CacheKey("f", "k", "text")
    disk.save(key, MultiVectors.from_items([np.ones((2, 3), np.float32)]))
    assert len(disk.load(key, 1)) == 1
    assert disk.load(key, 2) is None  # wrong row count
    disk.multi_path_for(key).write_bytes(b"not an archive")
    assert disk.load(key, 1) is None


def test_image_subsets_are_sliced_from_the_cached_column() -> None:
    from PIL import Image

    images = [Image.new("RGB", (w, 4)) for w in (3, 4, 5, 6)]
    embedder = Embedder(BagEncoder(), num_workers=0)
    column = Inputs("imgs", images=images)
    full = embedder.embed(column)
    part = embedder.embed(column.subset([3, 1]))
    assert embedder.stats.slice_hits == 1
    np.testing.assert_array_equal(part.item(0), full.item(3))
    assert part.lengths.tolist() == [full.lengths[3], full.lengths[1]]


def test_a_maxsim_encoder_is_a_valid_encoder_and_bad_token_vectors_are_refused() -> None:
    import pytest

    from pytest_mieb.evaluators.base import EmbeddingError, checked
    from pytest_mieb.models.validate import validate_encoder

    assert validate_encoder(BagEncoder(), "test") is not None
    good = MultiVectors.from_items([np.ones((2, 3), np.float32), np.ones((1, 3), np.float32)])
    assert checked("T", "query", good, n_rows=2, dim=3) is good
    with pytest.raises(EmbeddingError, match="2 rows, expected 3"):
        checked("T", "query", good, n_rows=3)
    with pytest.raises(EmbeddingError, match="dimension 3, expected 4"):
        checked("T", "corpus", good, dim=4)
    empty = MultiVectors.from_items([np.ones((2, 3), np.float32), np.ones((0, 3), np.float32)])
    no_tokens = r"1 input\(s\) without any token vector \(first at row 1\)"
    with pytest.raises(EmbeddingError, match=no_tokens):
        checked("T", "corpus", empty)
    nan = MultiVectors.from_items([np.full((1, 3), np.nan, np.float32)])
    with pytest.raises(EmbeddingError, match="NaN or inf"):
        checked("T", "query", nan)


def test_out_of_memory_halving_joins_token_vectors_in_row_order() -> None:
    from pytest_mieb.embed.oom import join_parts

    items = [np.full((n, 3), n, np.float32) for n in (1, 2, 3, 4)]
    parts = [MultiVectors.from_items(items[:2]), MultiVectors.from_items(items[2:])]
    joined = join_parts(parts)
    assert isinstance(joined, MultiVectors) and joined.lengths.tolist() == [1, 2, 3, 4]
    np.testing.assert_array_equal(joined.item(3), items[3])
