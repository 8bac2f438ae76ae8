"""Reuse: each (encoder, data key, kind, prompt type) is encoded once, in memory or on disk."""

from __future__ import annotations

import concurrent.futures
import multiprocessing

import numpy as np
import pytest
from embed_fakes import FakeEncoder, random_images

from pytest_mieb.data.containers import Inputs
from pytest_mieb.embed.cache import CacheKey, DiskCache, MemoryCache
from pytest_mieb.embed.embedder import Embedder
from pytest_mieb.evaluators.base import l2_normalize


def column(key: str = "cifar@abc/default/test/img", n: int = 12, seed: int = 0) -> Inputs:
    return Inputs(key=key, images=random_images(n, seed=seed))


def top1_accuracy(queries: np.ndarray, corpus: np.ndarray) -> float:
    """A stand-in score: does each query's nearest corpus row share its index?"""
    scores = l2_normalize(queries) @ l2_normalize(corpus).T
    return float(np.mean(scores.argmax(axis=1) == np.arange(len(queries))))


def test_a_column_asked_for_by_several_tasks_is_encoded_once() -> None:
    encoder = FakeEncoder()
    embedder = Embedder(encoder, batch_size=5, num_workers=0)
    images = random_images(12)
    results = [
        embedder.embed(Inputs(key="ds/test/img", images=images), prompt_type=prompt)
        for prompt in (None, None, "query", "document")
    ]
    assert encoder.images_encoded == 12
    assert embedder.stats.encoded["image"] == 12
    assert embedder.stats.memory_hits == 3
    for result in results[1:]:
        np.testing.assert_array_equal(result, results[0])


def test_results_are_read_only_so_the_cache_cannot_be_corrupted() -> None:
    embedder = Embedder(FakeEncoder(), num_workers=0)
    inputs = column()
    first = embedder.embed(inputs)
    kept = first.copy()
    with pytest.raises(ValueError, match="read-only"):
        first /= 2
    np.testing.assert_array_equal(embedder.embed(inputs), kept)


def test_disk_cache_round_trip_gives_identical_arrays_without_encoding(tmp_path) -> None:
    inputs = column()
    writer = Embedder(FakeEncoder(), num_workers=0, cache_dir=tmp_path)
    written = writer.embed(inputs)
    assert writer.stats.disk_writes == 1
    assert len(list(tmp_path.rglob("*.npy"))) == 1

    encoder = FakeEncoder()
    reader = Embedder(encoder, num_workers=0, cache_dir=tmp_path)
    read = reader.embed(column())
    assert encoder.pixel_batches == []
    assert reader.stats.disk_hits == 1
    np.testing.assert_array_equal(read, written)
    assert read.dtype == np.float32


def test_cached_and_uncached_embeddings_give_identical_scores(tmp_path) -> None:
    queries = Inputs(key="q", images=random_images(8, seed=1))
    corpus = Inputs(key="c", images=random_images(8, seed=1))
    uncached = Embedder(FakeEncoder(), num_workers=0, memory_cache_bytes=0)
    cold = Embedder(FakeEncoder(), num_workers=0, cache_dir=tmp_path)
    warm = Embedder(FakeEncoder(), num_workers=0, cache_dir=tmp_path)
    scores = []
    for embedder in (uncached, cold, warm, warm):
        scores.append(top1_accuracy(embedder.embed(queries), embedder.embed(corpus)))
    assert scores[0] == 1.0
    assert scores == [scores[0]] * 4
    assert warm.stats.disk_hits == 2 and warm.stats.memory_hits == 2
    assert warm.stats.encoded["image"] == 0


def test_another_encoder_fingerprint_never_reuses_cached_embeddings(tmp_path) -> None:
    Embedder(FakeEncoder("model-a"), num_workers=0, cache_dir=tmp_path).embed(column())
    other = FakeEncoder("model-b")
    Embedder(other, num_workers=0, cache_dir=tmp_path).embed(column())
    assert other.images_encoded == 12
    assert len({p.parent for p in tmp_path.rglob("*.npy")}) == 2


def test_without_memory_cache_each_request_encodes_again() -> None:
    encoder = FakeEncoder()
    embedder = Embedder(encoder, num_workers=0, memory_cache_bytes=0)
    inputs = column(n=4)
    embedder.embed(inputs)
    embedder.embed(inputs)
    assert encoder.images_encoded == 8
    assert embedder.stats.cache_hits == 0


def test_subset_of_a_cached_column_is_sliced_not_encoded() -> None:
    encoder = FakeEncoder()
    embedder = Embedder(encoder, num_workers=0)
    full_inputs = column(n=12)
    full = embedder.embed(full_inputs)
    rows = [7, 2, 2, 11]
    subset = full_inputs.subset(rows)
    np.testing.assert_array_equal(embedder.embed(subset), full[rows])
    nested = subset.subset([3, 0])
    np.testing.assert_array_equal(embedder.embed(nested), full[[11, 7]])
    assert encoder.images_encoded == 12
    assert embedder.stats.slice_hits == 2


def test_subset_of_a_column_cached_on_disk_is_sliced(tmp_path) -> None:
    full = Embedder(FakeEncoder(), num_workers=0, cache_dir=tmp_path).embed(column())
    encoder = FakeEncoder()
    embedder = Embedder(encoder, num_workers=0, cache_dir=tmp_path)
    np.testing.assert_array_equal(embedder.embed(column().subset([3, 4])), full[[3, 4]])
    assert encoder.images_encoded == 0
    assert embedder.stats.slice_hits == 1
    assert len(embedder.memory) == 0  # the parent was mapped for two rows, not read in


def test_subset_without_cached_parent_encodes_only_its_rows() -> None:
    encoder = FakeEncoder()
    embedder = Embedder(encoder, num_workers=0)
    full_inputs = column(n=12)
    subset = full_inputs.subset([1, 5, 9])
    sub = embedder.embed(subset)
    assert encoder.images_encoded == 3
    embedder.embed(full_inputs.subset([1, 5, 9]))
    assert encoder.images_encoded == 3
    np.testing.assert_array_equal(sub, embedder.embed(full_inputs)[[1, 5, 9]])


def test_text_subsets_are_encoded_on_their_own() -> None:
    encoder = FakeEncoder()
    embedder = Embedder(encoder)
    texts = Inputs(key="labels", texts=["a", "b", "c", "d"])
    full = embedder.embed(texts)
    np.testing.assert_array_equal(embedder.embed(texts.subset([2, 0])), full[[2, 0]])
    assert encoder.texts_encoded == 6


def test_cached_entry_with_a_different_row_count_is_re_encoded(caplog) -> None:
    encoder = FakeEncoder()
    embedder = Embedder(encoder, num_workers=0)
    embedder.embed(Inputs(key="reused key", images=random_images(3)))
    out = embedder.embed(Inputs(key="reused key", images=random_images(5)))
    assert out.shape[0] == 5
    assert encoder.images_encoded == 8
    assert "re-encoding" in caplog.text


def test_memory_cache_evicts_least_recently_used_entries_first() -> None:
    def key(name: str) -> CacheKey:
        return CacheKey("fp", name, "image")

    block = np.ones((10, 10), dtype=np.float32)  # 400 bytes
    cache = MemoryCache(max_bytes=1000)
    cache.put(key("a"), block.copy())
    cache.put(key("b"), block.copy())
    assert cache.get(key("a")) is not None  # "a" is now the most recent
    cache.put(key("c"), block.copy())
    assert key("b") not in cache
    assert key("a") in cache and key("c") in cache
    assert cache.nbytes == 800
    cache.put(key("huge"), np.ones((30, 10), dtype=np.float32))
    assert key("huge") not in cache and cache.nbytes == 800


def test_disk_cache_ignores_unreadable_or_mismatched_files(tmp_path) -> None:
    cache = DiskCache(tmp_path)
    key = CacheKey("fp", "data", "text")
    path = cache.path_for(key)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x93NUMPY truncated junk")
    assert cache.load(key) is None
    cache.save(key, np.ones((3, 2), dtype=np.float32))
    assert cache.load(key, n_rows=4) is None
    np.testing.assert_array_equal(cache.load(key, n_rows=3), np.ones((3, 2)))


def test_corrupt_cache_file_is_replaced_by_a_fresh_encode(tmp_path) -> None:
    inputs = column(n=4)
    encoder = FakeEncoder()
    embedder = Embedder(encoder, num_workers=0, cache_dir=tmp_path)
    embedder.cache_key(inputs)
    path = embedder.disk.path_for(embedder.cache_key(inputs))
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not numpy")
    out = embedder.embed(inputs)
    assert encoder.images_encoded == 4
    np.testing.assert_array_equal(np.load(path, allow_pickle=False), out)


def test_failed_write_leaves_neither_partial_nor_temp_files(tmp_path, monkeypatch) -> None:
    cache = DiskCache(tmp_path)
    key = CacheKey("fp", "data", "image")
    real_save = np.save

    def save_then_fail(handle, arr, **kwargs):
        real_save(handle, arr[: len(arr) // 2], **kwargs)
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", save_then_fail)
    with pytest.raises(OSError, match="disk full"):
        cache.save(key, np.ones((100, 8), dtype=np.float32))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert cache.load(key) is None


def _write_many(root: str, value: float) -> None:
    cache = DiskCache(root)
    for _ in range(10):
        cache.save(CacheKey("fp", "shared", "image"), np.full((20000, 16), value, np.float32))


def assert_whole(arr: np.ndarray | None) -> None:
    """A file read mid-race is either absent or one writer's complete array."""
    if arr is not None:
        assert arr.shape == (20000, 16)
        assert np.unique(arr).size == 1 and arr[0, 0] in (1.0, 2.0)


def test_racing_writers_on_one_key_only_ever_expose_whole_files(tmp_path, caplog) -> None:
    cache = DiskCache(tmp_path)
    key = CacheKey("fp", "shared", "image")
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        writers = [pool.submit(_write_many, str(tmp_path), v) for v in (1.0, 2.0)]
        while not all(w.done() for w in writers):
            assert_whole(cache.load(key))
        for writer in writers:
            writer.result()
    assert_whole(cache.load(key))
    assert cache.load(key) is not None
    assert "ignoring" not in caplog.text  # no reader ever met a half-written file
    files = [p.name for p in tmp_path.rglob("*") if p.is_file()]
    assert files == [cache.path_for(key).name]


def test_unwritable_disk_cache_warns_but_still_returns_embeddings(tmp_path, caplog) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be")
    encoder = FakeEncoder()
    embedder = Embedder(encoder, num_workers=0, cache_dir=blocker)
    out = embedder.embed(column(n=3))
    assert out.shape == (3, encoder.embed_dim)
    assert embedder.stats.disk_writes == 0
    assert "could not write embedding cache" in caplog.text
