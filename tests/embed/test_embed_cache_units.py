"""The two embedding stores on their own: byte budget edges, file naming, what a load refuses.

Written against the mutants that the rest of the suite let through (docs/testing.md).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import pytest

from pytest_mieb.embed import cache as cache_module
from pytest_mieb.embed.cache import CacheKey, DiskCache, MemoryCache, default_memory_budget
from pytest_mieb.embed.multivector import MultiVectors


def key(name: str, kind: str = "image") -> CacheKey:
    return CacheKey("fp", name, kind)


def block(n_bytes: int) -> np.ndarray:
    return np.ones(n_bytes // 4, dtype=np.float32)


# --- memory budget -------------------------------------------------------------------------


def test_default_budget_is_a_quarter_of_memory_shared_among_workers(monkeypatch) -> None:
    sizes = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 1000}
    monkeypatch.setattr(cache_module.os, "sysconf", lambda name: sizes[name])
    monkeypatch.setattr(cache_module, "xdist_worker_count", lambda: 2)
    assert default_memory_budget() == 4096 * 1000 // 4 // 2  # 512000 bytes per worker
    monkeypatch.setattr(cache_module, "xdist_worker_count", lambda: 3)
    budget = default_memory_budget()
    assert budget == 341333 and type(budget) is int  # floor(1024000 / 3): whole bytes


def test_a_known_memory_size_is_used_however_small(monkeypatch) -> None:
    sizes = {"SC_PAGE_SIZE": 1, "SC_PHYS_PAGES": 1}
    monkeypatch.setattr(cache_module.os, "sysconf", lambda name: sizes[name])
    monkeypatch.setattr(cache_module, "xdist_worker_count", lambda: 1)
    assert default_memory_budget() == 0  # a quarter of one byte: nothing is kept


@pytest.mark.parametrize("pages", [0, -1])
def test_default_budget_is_4_gib_when_memory_size_is_unknown(monkeypatch, pages) -> None:
    sizes = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": pages}
    monkeypatch.setattr(cache_module.os, "sysconf", lambda name: sizes[name])
    assert default_memory_budget() == 4 * 1024**3


def test_default_budget_is_4_gib_without_sysconf(monkeypatch) -> None:
    def unsupported(name: str) -> int:
        raise ValueError(f"unrecognized configuration name {name}")

    monkeypatch.setattr(cache_module.os, "sysconf", unsupported)
    assert default_memory_budget() == 4 * 1024**3


# --- memory cache --------------------------------------------------------------------------


def test_an_entry_exactly_the_budget_is_kept() -> None:
    cache = MemoryCache(max_bytes=400)
    cache.put(key("a"), block(400))
    assert key("a") in cache and cache.nbytes == 400


def test_entries_filling_the_budget_exactly_all_stay() -> None:
    cache = MemoryCache(max_bytes=800)
    cache.put(key("a"), block(400))
    cache.put(key("b"), block(400))
    assert len(cache) == 2 and cache.nbytes == 800


def test_putting_a_key_again_replaces_it_without_double_counting() -> None:
    cache = MemoryCache(max_bytes=1000)
    cache.put(key("a"), block(400))
    cache.put(key("a"), block(200))
    assert len(cache) == 1 and cache.nbytes == 200
    assert cache.get(key("a")).nbytes == 200


def test_eviction_takes_off_each_evicted_entry_its_own_size() -> None:
    cache = MemoryCache(max_bytes=100)
    cache.put(key("a"), block(40))
    cache.put(key("b"), block(28))
    cache.put(key("c"), block(52))  # 40 + 28 + 52 > 100: "a" goes, 80 bytes stay
    assert key("a") not in cache and len(cache) == 2
    assert cache.nbytes == 80
    cache.put(key("d"), block(60))  # 140 > 100: "b" goes, 112 is still too much: "c" goes
    assert key("b") not in cache and key("c") not in cache
    assert len(cache) == 1 and cache.nbytes == 60


def test_a_negative_budget_keeps_nothing() -> None:
    cache = MemoryCache(max_bytes=-5)
    assert cache.max_bytes == 0
    cache.put(key("a"), np.ones(1, dtype=np.uint8))
    assert len(cache) == 0 and cache.nbytes == 0


def test_missing_key_gives_none_and_discard_of_missing_key_is_harmless() -> None:
    cache = MemoryCache(max_bytes=1000)
    cache.put(key("a"), block(400))
    assert cache.get(key("b")) is None
    cache.discard(key("b"))
    assert cache.nbytes == 400
    cache.discard(key("a"))
    assert key("a") not in cache and cache.nbytes == 0


def test_clear_empties_the_cache_and_its_byte_count() -> None:
    cache = MemoryCache(max_bytes=1000)
    cache.put(key("a"), block(400))
    cache.put(key("b"), block(400))
    cache.clear()
    assert len(cache) == 0 and cache.nbytes == 0
    cache.put(key("c"), block(400))
    assert cache.nbytes == 400


def test_stored_arrays_are_read_only() -> None:
    cache = MemoryCache(max_bytes=1000)
    arr = block(400)
    cache.put(key("a"), arr)
    with pytest.raises(ValueError, match="read-only"):
        cache.get(key("a"))[0] = 5


def test_cache_keys_are_immutable_values() -> None:
    first, second = CacheKey("fp", "d", "image", "query"), CacheKey("fp", "d", "image", "query")
    assert first == second and hash(first) == hash(second)
    with pytest.raises(AttributeError):
        first.kind = "text"  # type: ignore[misc]
    moved = first.with_data_key("other")
    assert moved == CacheKey("fp", "other", "image", "query")


# --- disk layout ---------------------------------------------------------------------------


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_file_lives_in_a_readable_per_model_folder(tmp_path) -> None:
    fingerprint = "openai/clip-vit-base-patch16@rev 1"
    path = DiskCache(tmp_path).path_for(CacheKey(fingerprint, "d", "image"))
    assert path.parent.parent == tmp_path
    assert path.parent.name == f"openai_clip-vit-base-patch16_rev_1-{_sha(fingerprint)[:12]}"
    assert path.suffix == ".npy" and len(path.stem) == 64


def test_model_folder_name_is_cut_to_48_characters_plus_hash(tmp_path) -> None:
    fingerprint = "x" * 60
    folder = DiskCache(tmp_path).path_for(CacheKey(fingerprint, "d", "image")).parent.name
    assert folder == "x" * 48 + "-" + _sha(fingerprint)[:12]


def test_model_folder_keeps_capitals_at_either_end(tmp_path) -> None:
    fingerprint = "Xception/X"
    folder = DiskCache(tmp_path).path_for(CacheKey(fingerprint, "d", "image")).parent.name
    assert folder == f"Xception_X-{_sha(fingerprint)[:12]}"


def test_model_folder_of_a_fingerprint_without_letters_is_named_model(tmp_path) -> None:
    fingerprint = "//.."
    folder = DiskCache(tmp_path).path_for(CacheKey(fingerprint, "d", "image")).parent.name
    assert folder == f"model-{_sha(fingerprint)[:12]}"


def test_each_part_of_a_key_gives_its_own_file(tmp_path) -> None:
    disk = DiskCache(tmp_path)
    keys = [
        CacheKey("fp", "d", "image"),
        CacheKey("fp", "d", "image", "query"),
        CacheKey("fp", "d", "text"),
        CacheKey("fp", "e", "image"),
    ]
    assert len({disk.path_for(k) for k in keys}) == len(keys)


def test_save_creates_missing_parent_folders_and_returns_the_path(tmp_path) -> None:
    disk = DiskCache(tmp_path / "not" / "yet")
    arr = np.arange(6, dtype=np.float32).reshape(3, 2)
    path = disk.save(key("d"), arr)
    assert path == disk.path_for(key("d")) and path.is_file()
    np.testing.assert_array_equal(np.load(path), arr)


def test_save_writes_through_a_hidden_temp_file_in_the_target_folder(tmp_path, monkeypatch) -> None:
    disk = DiskCache(tmp_path)
    moves = []
    real_replace = cache_module.os.replace

    def spy(src, dst):
        moves.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(cache_module.os, "replace", spy)
    path = disk.save(key("d"), np.ones((2, 2), dtype=np.float32))
    [(src, dst)] = moves
    assert dst == str(path)
    assert src.startswith(str(path.parent) + "/.tmp-")


# --- what a load refuses -------------------------------------------------------------------


def test_a_plain_load_reads_the_file_into_memory(tmp_path) -> None:
    disk = DiskCache(tmp_path)
    disk.save(key("d"), np.ones((2, 2), dtype=np.float32))
    loaded = disk.load(key("d"))
    assert type(loaded) is np.ndarray  # not a map onto a file that a later save replaces


def test_memory_mapped_load_gives_a_read_only_map(tmp_path) -> None:
    disk = DiskCache(tmp_path)
    arr = np.arange(8, dtype=np.float32).reshape(4, 2)
    disk.save(key("d"), arr)
    mapped = disk.load(key("d"), mmap=True)
    assert isinstance(mapped, np.memmap)
    np.testing.assert_array_equal(mapped, arr)
    assert not mapped.flags.writeable


@pytest.mark.parametrize(
    "stored",
    [
        np.ones((3, 2), dtype=np.float64),  # wrong dtype
        np.ones(6, dtype=np.float32),  # one-dimensional
        np.ones((3, 2, 1), dtype=np.float32),  # three-dimensional
    ],
    ids=["float64", "1-d", "3-d"],
)
def test_files_not_holding_float32_rows_are_misses_with_a_warning(tmp_path, caplog, stored) -> None:
    disk = DiskCache(tmp_path)
    path = disk.path_for(key("d"))
    path.parent.mkdir(parents=True)
    np.save(path, stored)
    with caplog.at_level(logging.WARNING, logger=cache_module.__name__):
        assert disk.load(key("d")) is None
    [record] = caplog.records
    assert record.getMessage() == (
        f"ignoring embedding cache file {path}: shape {stored.shape} dtype {stored.dtype}, "
        "expected None float32 rows"
    )


def test_a_file_of_the_wrong_length_names_the_expected_rows(tmp_path, caplog) -> None:
    disk = DiskCache(tmp_path)
    path = disk.save(key("d"), np.ones((3, 2), dtype=np.float32))
    with caplog.at_level(logging.WARNING, logger=cache_module.__name__):
        assert disk.load(key("d"), n_rows=4) is None
    [record] = caplog.records
    assert record.getMessage() == (
        f"ignoring embedding cache file {path}: shape (3, 2) dtype float32, expected 4 float32 rows"
    )


def test_any_row_count_is_accepted_when_none_is_expected(tmp_path) -> None:
    disk = DiskCache(tmp_path)
    disk.save(key("d"), np.ones((3, 2), dtype=np.float32))
    assert disk.load(key("d")).shape == (3, 2)
    assert disk.load(key("d"), n_rows=3).shape == (3, 2)


def test_a_pickled_file_is_never_unpickled(tmp_path, caplog) -> None:
    disk = DiskCache(tmp_path)
    path = disk.path_for(key("d"))
    path.parent.mkdir(parents=True)
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with caplog.at_level(logging.WARNING, logger=cache_module.__name__):
        assert disk.load(key("d")) is None
    [record] = caplog.records
    assert record.getMessage().startswith(f"ignoring unreadable embedding cache file {path}: ")
    assert "allow_pickle" in record.getMessage()  # numpy's own reason follows


def test_embeddings_given_in_another_float_type_are_stored_as_float32(tmp_path) -> None:
    disk = DiskCache(tmp_path)
    given = np.array([[0.1, 0.2], [0.3, 0.4]], dtype=np.float64)
    disk.save(key("d"), given)
    loaded = disk.load(key("d"), n_rows=2)
    assert loaded is not None and loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, given.astype(np.float32))


def test_a_failed_write_whose_temp_file_is_gone_raises_its_own_error(tmp_path, monkeypatch) -> None:
    """Another process may have cleaned the folder: the write's error is the one reported."""
    disk = DiskCache(tmp_path)

    def vanish_then_fail(src, dst):
        Path(src).unlink()
        raise PermissionError("target folder is read-only")

    monkeypatch.setattr(cache_module.os, "replace", vanish_then_fail)
    with pytest.raises(PermissionError, match="target folder is read-only"):
        disk.save(key("d"), np.ones((2, 2), dtype=np.float32))


def test_an_unreadable_multi_vector_file_is_a_miss_naming_the_file_and_reason(
    tmp_path, caplog
) -> None:
    disk = DiskCache(tmp_path)
    path = disk.multi_path_for(key("m"))
    path.parent.mkdir(parents=True)
    np.savez(path, data=np.ones((2, 3), np.float32), offsets=np.array([0, 2]))  # no "parts"
    with caplog.at_level(logging.WARNING, logger=cache_module.__name__):
        assert disk.load(key("m")) is None
    [record] = caplog.records
    assert record.getMessage().startswith(f"ignoring unreadable embedding cache file {path}: ")
    assert "parts is not a file in the archive" in record.getMessage()


def test_a_multi_vector_file_of_the_wrong_length_names_the_expected_items(tmp_path, caplog) -> None:
    disk = DiskCache(tmp_path)
    disk.save(key("m"), MultiVectors.from_items([np.ones((2, 3), np.float32)]))
    path = disk.multi_path_for(key("m"))
    with caplog.at_level(logging.WARNING, logger=cache_module.__name__):
        assert disk.load(key("m"), n_rows=2) is None
    [record] = caplog.records
    assert record.getMessage() == f"ignoring embedding cache file {path}: not 2 float32 items"
