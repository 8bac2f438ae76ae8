"""Where embeddings live between requests: a bounded in-memory LRU and an on-disk store.

Both stores key on `CacheKey` (encoder fingerprint, data key, input kind, variant), so an
embedding is reused only for the same weights + preprocessing, the same inputs and the same
variant (what of the task context changes the encoder's output: the prompt type, or a
context-aware encoder's key; None for encoders that see no context).

Memory policy: least-recently-used eviction under a byte budget (by default a quarter of
physical memory, shared out among pytest-xdist workers); an array larger than the whole
budget is not kept. Arrays are stored read-only so no caller can corrupt a cached entry.

Disk layout: `<root>/<model dir>/<sha256 of the key>.npy`, one directory per encoder
fingerprint so that one model's cache can be deleted alone. Files are written to a temp
file in the same directory and moved into place with `os.replace`, so readers (other
xdist workers, later runs) only ever see whole files; a file that does not read back as
a float32 (n, d) array of the expected length is treated as a miss.

Multi-vector embeddings (`MultiVectors`, late-interaction models) go to
`<sha256 of the key>.mv.npz` beside them: an uncompressed numpy archive of three plain arrays
(token vectors, offsets, part lengths), written and read without pickle.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from pytest_mieb.embed.multivector import MultiVectors
from pytest_mieb.runtime import xdist_worker_count

logger = logging.getLogger(__name__)

#: Bump when the meaning of a cached file changes; old files then simply stop matching.
#: 2: images are decoded with their EXIF orientation applied (as `datasets` decodes them).
CACHE_FORMAT = 2
_TEMP_PREFIX = ".tmp-"
_FALLBACK_MEMORY_BYTES = 4 << 30


@dataclass(frozen=True)
class CacheKey:
    """The identity of one embedding matrix."""

    fingerprint: str
    data_key: str
    kind: str
    variant: str | None = None

    def digest(self) -> str:
        payload = [CACHE_FORMAT, self.fingerprint, self.data_key, self.kind, self.variant]
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()

    def with_data_key(self, data_key: str) -> CacheKey:
        return CacheKey(self.fingerprint, data_key, self.kind, self.variant)


def default_memory_budget() -> int:
    """A quarter of physical memory, split among xdist workers (4 GiB if unknown)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        total = 0
    if total <= 0:
        return _FALLBACK_MEMORY_BYTES
    return total // 4 // xdist_worker_count()


def read_only(arr: Any) -> Any:
    if isinstance(arr, MultiVectors):
        return arr.frozen()
    arr.flags.writeable = False
    return arr


class MemoryCache:
    """LRU of embedding matrices bounded by their total size in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._entries: OrderedDict[CacheKey, np.ndarray] = OrderedDict()
        self.nbytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: CacheKey) -> bool:
        return key in self._entries

    def get(self, key: CacheKey) -> np.ndarray | None:
        arr = self._entries.get(key)
        if arr is not None:
            self._entries.move_to_end(key)
        return arr

    def put(self, key: CacheKey, arr: np.ndarray) -> None:
        self.discard(key)
        if arr.nbytes > self.max_bytes:
            return
        while self._entries and self.nbytes + arr.nbytes > self.max_bytes:
            _, old = self._entries.popitem(last=False)
            self.nbytes -= old.nbytes
        self._entries[key] = read_only(arr)
        self.nbytes += arr.nbytes

    def discard(self, key: CacheKey) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.nbytes -= old.nbytes

    def clear(self) -> None:
        self._entries.clear()
        self.nbytes = 0


def _model_dir_name(fingerprint: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", fingerprint).strip("._")[:48] or "model"
    return f"{slug}-{hashlib.sha256(fingerprint.encode()).hexdigest()[:12]}"


class DiskCache:
    """`.npy` files under `root`, safe to share between processes racing on one key."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path_for(self, key: CacheKey) -> Path:
        return self.root / _model_dir_name(key.fingerprint) / f"{key.digest()}.npy"

    def load(
        self, key: CacheKey, n_rows: int | None = None, *, mmap: bool = False
    ) -> np.ndarray | None:
        """The cached array, or None when absent or unusable (never raises on bad files).

        `mmap=True` maps the file read-only instead of reading it, for taking a few rows.
        """
        path = self.path_for(key)
        try:
            arr = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
        except FileNotFoundError:
            return self._load_multi(key, n_rows)
        except (OSError, ValueError, EOFError) as exc:
            logger.warning("ignoring unreadable embedding cache file %s: %s", path, exc)
            return None
        if arr.dtype != np.float32 or arr.ndim != 2 or (n_rows is not None and len(arr) != n_rows):
            logger.warning(
                "ignoring embedding cache file %s: shape %s dtype %s, expected %s float32 rows",
                path,
                arr.shape,
                arr.dtype,
                n_rows,
            )
            return None
        return arr

    def multi_path_for(self, key: CacheKey) -> Path:
        return self.path_for(key).with_suffix(".mv.npz")

    def _load_multi(self, key: CacheKey, n_rows: int | None) -> MultiVectors | None:
        path = self.multi_path_for(key)
        try:
            with np.load(path, allow_pickle=False) as archive:
                loaded = MultiVectors(
                    np.asarray(archive["data"]), archive["offsets"], archive["parts"]
                )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, EOFError, KeyError) as exc:
            logger.warning("ignoring unreadable embedding cache file %s: %s", path, exc)
            return None
        if loaded.data.dtype != np.float32 or (n_rows is not None and len(loaded) != n_rows):
            logger.warning("ignoring embedding cache file %s: not %s float32 items", path, n_rows)
            return None
        return loaded.frozen()

    def save(self, key: CacheKey, arr: Any) -> Path:
        """Write atomically: a temp file in the target directory, then `os.replace`."""
        multi = isinstance(arr, MultiVectors)
        path = self.multi_path_for(key) if multi else self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=path.suffix, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                if multi:
                    np.savez(handle, data=arr.data, offsets=arr.offsets, parts=arr.parts)
                else:
                    np.save(handle, np.ascontiguousarray(arr, dtype=np.float32), allow_pickle=False)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        return path
