"""The Embedder: turns `Inputs` into float32 embeddings, encoding each input only once.

Evaluators call `Embedder.embed(inputs, prompt_type=...)` and never see how it is done:

* Images: decoded, converted to RGB and run through the encoder's `image_transform` in
  DataLoader worker processes (`num_workers`; 0 = main process), stacked into pixel
  batches, copied to the device (pinned memory + non-blocking copies on CUDA) and given to
  `encode_pixels`. Image columns may hold PIL images, datasets' undecoded
  `{"bytes", "path"}` dicts, raw bytes or file paths; decoding then also happens in workers.
  On the CPU, while workers run, torch's intra-op threads in the main process are cut to
  the cores the workers leave free (`encode_threads`) and restored afterwards.
* Texts: de-duplicated, sorted longest first so batches hold similar lengths, given to
  `encode_texts`, and put back in the caller's order.
* Image+text (fused) inputs: images decoded to RGB in workers; `encode_fused(images, texts)`
  gets PIL images and strings, item k of each together.
* A row that cannot be read or decoded raises `ValueError` naming the inputs key and the
  row, instead of failing deep inside a model or a worker process. A `DataError` from the
  data layer (`CorruptImageError`, whose one line names dataset, split, column and row)
  is raised as it is: its message is the one the user should see.

Reuse: a result is cached under (encoder fingerprint, `inputs.key`, input kind, prompt
type), in memory (LRU, see `pytest_mieb.embed.cache`) and, with `cache_dir`, on disk. The
prompt type is part of the key only when the encoder method accepts a `prompt_type`
keyword (it is then passed on); otherwise queries and documents built from the same
column share one encode. A row subset of an image or fused column (`Inputs.subset`) is
served by slicing when an ancestor column is cached (in memory, or on disk, memory-mapped);
text-only subsets carry no row map and are encoded (cheaply) on their own. Returned arrays
are read-only: in-place edits would silently change what later tasks get from the cache,
so they fail loudly instead.

Precision: `precision` "fp16" / "bf16" runs the encoder under CUDA autocast; on any other
device the encoder runs in fp32. Outputs are always upcast to float32 on the CPU.
Not thread-safe: one Embedder serves one pytest process (xdist workers each have one).
"""

from __future__ import annotations

import contextlib
import inspect
import io
import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from pytest_mieb.data.containers import InputKind, Inputs, RowView
from pytest_mieb.data.errors import DataError
from pytest_mieb.data.images import to_rgb
from pytest_mieb.embed.cache import (
    CacheKey,
    DiskCache,
    MemoryCache,
    default_memory_budget,
    read_only,
)
from pytest_mieb.evaluators.base import EmbeddingError
from pytest_mieb.models.base import Encoder
from pytest_mieb.runtime import PRECISIONS, usable_cpus

logger = logging.getLogger(__name__)

Precision = Literal["fp32", "fp16", "bf16"]
#: Called after every batch with (inputs key, inputs done, inputs total).
ProgressCallback = Callable[[str, int, int], None]

_AUTOCAST_DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}
_ENCODE_METHODS: dict[str, str] = {
    "image": "encode_pixels",
    "text": "encode_texts",
    "image+text": "encode_fused",
}
#: Device outputs are copied to the host in groups, so the GPU is not synchronised per batch.
_DEVICE_FLUSH_EVERY = 8


def default_num_workers() -> int:
    """One worker per usable CPU, minus one for the main process (max 16)."""
    return max(0, min(usable_cpus() - 1, 16))


def encode_threads(workers: int, current: int) -> int:
    """Torch intra-op threads for the main process while `workers` DataLoader processes
    decode and transform images on the CPU: the CPUs they leave free (at least 1), never
    more than `current`. More threads than free cores oversubscribe them, and OpenMP's
    spin-waiting then slows the model more than the extra thread helps (RESULTS.md)."""
    if workers <= 0:
        return current
    return max(1, min(current, usable_cpus() - workers))


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The dtype to autocast the encoder to, or None for plain fp32.

    CUDA only: on other devices low-precision autocast is slow or missing for many ops, and
    a setting shared with GPU machines must not break a CPU run.
    """
    return _AUTOCAST_DTYPES.get(precision) if device.type == "cuda" else None


def pins_memory(device: torch.device) -> bool:
    """Pinned host batches (and non-blocking copies from them) pay off for CUDA copies only."""
    return device.type == "cuda"


def to_device(batch: torch.Tensor, device: torch.device, non_blocking: bool) -> torch.Tensor:
    """`batch` on `device`; `non_blocking` is safe only for batches in pinned memory."""
    if batch.device == device:
        return batch
    return batch.to(device, non_blocking=non_blocking)


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with `n` torch intra-op threads, restoring the previous count after.

    `torch.set_num_threads` is process-wide, so nothing else may encode concurrently (the
    Embedder is not thread-safe anyway).
    """
    previous = torch.get_num_threads()
    if n == previous:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@dataclass
class EmbedStats:
    """What the embedder did: inputs sent to the encoder per kind, and cache hits."""

    encoded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_ENCODE_METHODS, 0))
    batches: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_ENCODE_METHODS, 0))
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(_ENCODE_METHODS, 0.0))
    requests: int = 0
    memory_hits: int = 0
    disk_hits: int = 0
    slice_hits: int = 0
    disk_writes: int = 0

    @property
    def cache_hits(self) -> int:
        return self.memory_hits + self.disk_hits + self.slice_hits


# ---------------------------------------------------------------- image rows (worker side)


def load_rgb(item: Any) -> Image.Image:
    """Decode one image-column value to an RGB PIL image."""
    if item is None:
        raise ValueError("the image is missing (None)")
    if isinstance(item, Image.Image):
        image = item
    elif isinstance(item, dict) and (item.get("bytes") or item.get("path")):
        data = item.get("bytes")
        image = Image.open(io.BytesIO(data) if data else item["path"])
    elif isinstance(item, (bytes, bytearray)):
        image = Image.open(io.BytesIO(item))
    elif isinstance(item, (str, os.PathLike)):
        image = Image.open(item)
    else:
        raise TypeError(f"unsupported image value of type {type(item).__name__}")
    image.load()
    return to_rgb(image)


@dataclass(frozen=True)
class _RowFailure:
    """A row that could not become model input; travels back from the worker as data.

    `data_error` keeps a data-layer error whole: its message already names the dataset,
    split, column and row, which a wrapper naming only the inputs key would hide.
    """

    row: int
    reason: str
    data_error: DataError | None = None

    @classmethod
    def of(cls, row: int, exc: Exception) -> _RowFailure:
        data_error = exc if isinstance(exc, DataError) else None
        return cls(row, f"{type(exc).__name__}: {exc}", data_error)

    def error(self, key: str) -> Exception:
        if self.data_error is not None:
            return self.data_error
        return ValueError(
            f"Inputs {key!r}: image at row {self.row} could not be loaded ({self.reason})"
        )


class _ImageRows(Dataset):
    """Row i -> RGB image, transformed to pixels when a transform is given."""

    def __init__(self, images: Sequence[Any], transform: Callable[[Any], Any] | None) -> None:
        self.images = images
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, row: int) -> Any:
        try:
            image = load_rgb(self.images[row])
        except Exception as exc:  # any failure to read a row is reported with its row
            return _RowFailure.of(row, exc)
        if self.transform is None:
            return image
        try:
            return torch.as_tensor(self.transform(image))
        except (OSError, SyntaxError) as exc:  # PIL's late decoding errors
            return _RowFailure.of(row, exc)


def _first_failure(items: list[Any]) -> _RowFailure | None:
    return next((item for item in items if isinstance(item, _RowFailure)), None)


def _collate_pixels(items: list[Any]) -> torch.Tensor | _RowFailure:
    failure = _first_failure(items)
    return failure if failure is not None else torch.stack(items)


def _collate_images(items: list[Any]) -> list[Image.Image] | _RowFailure:
    failure = _first_failure(items)
    return failure if failure is not None else list(items)


# ---------------------------------------------------------------- main-process helpers


def row_origins(inputs: Inputs) -> Iterator[tuple[str, np.ndarray]]:
    """For an image row subset made by `Inputs.subset`: (ancestor key, rows in it), nearest
    ancestor first, up to the full column (subsets of subsets compose).

    Reads the row view's fields because `Inputs` keeps no public row map; text-only
    subsets (plain lists) therefore yield nothing.
    """
    key, view = inputs.key, inputs.images
    rows: np.ndarray | None = None
    while "#" in key and isinstance(view, RowView):
        taken = np.asarray(view.indices, dtype=np.intp)
        rows = taken if rows is None else taken[rows]
        key, view = key.rsplit("#", 1)[0], view.base
        yield key, rows


def _accepts_keyword(method: Any, name: str) -> bool:
    try:
        return name in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def _resolve_device(encoder: Encoder, device: str | torch.device | None) -> torch.device:
    """Explicit device, else the encoder's `device` attribute or parameters, else CPU."""
    if device is not None:
        return torch.device(device)
    found = getattr(encoder, "device", None)
    if found is not None:
        with contextlib.suppress(TypeError, RuntimeError, ValueError):
            return torch.device(found)
    if isinstance(encoder, torch.nn.Module):
        for param in encoder.parameters():
            return param.device
    return torch.device("cpu")


def _check_texts(key: str, texts: Sequence[Any]) -> list[str]:
    out = list(texts)
    for row, text in enumerate(out):
        if not isinstance(text, str):
            raise ValueError(f"Inputs {key!r}: text at row {row} is {type(text).__name__}, not str")
    return out


class _Collector:
    """Gathers batch outputs into one float32 (n, d) array in the right rows."""

    def __init__(self, key: str, n_rows: int) -> None:
        self.key = key
        self.n_rows = n_rows
        self.out: np.ndarray | None = None
        self.dim: int | None = None
        self._pending: list[tuple[torch.Tensor, Any]] = []

    def add(self, emb: Any, rows: Any, n_expected: int) -> None:
        if isinstance(emb, torch.Tensor):
            emb = emb.detach()
            self._check_shape(tuple(emb.shape), n_expected)
            if emb.device.type != "cpu":
                self._pending.append((emb, rows))
                if len(self._pending) >= _DEVICE_FLUSH_EVERY:
                    self.flush()
                return
            arr = emb.float().numpy()
        else:
            arr = np.asarray(emb, dtype=np.float32)
            self._check_shape(arr.shape, n_expected)
        self._write(arr, rows)

    def flush(self) -> None:
        if not self._pending:
            return
        host = torch.cat([emb.float() for emb, _ in self._pending]).cpu().numpy()
        start = 0
        for emb, rows in self._pending:
            self._write(host[start : start + len(emb)], rows)
            start += len(emb)
        self._pending.clear()

    def finish(self) -> np.ndarray:
        self.flush()
        assert self.out is not None
        return self.out

    def _check_shape(self, shape: tuple[int, ...], n_expected: int) -> None:
        if len(shape) != 2 or shape[0] != n_expected:
            raise EmbeddingError(
                f"Inputs {self.key!r}: encoder returned shape {shape} for a batch of "
                f"{n_expected}; expected ({n_expected}, dim)"
            )
        if self.dim is None:
            self.dim = shape[1]
        elif shape[1] != self.dim:
            raise EmbeddingError(
                f"Inputs {self.key!r}: encoder returned dimension {shape[1]} after {self.dim}"
            )

    def _write(self, arr: np.ndarray, rows: Any) -> None:
        if self.out is None:
            self.out = np.empty((self.n_rows, arr.shape[1]), dtype=np.float32)
        self.out[rows] = arr


class _Progress:
    """Reports encoding progress to a callback and, for long encodes, to the log."""

    def __init__(
        self,
        key: str,
        kind: str,
        total: int,
        batch_size: int,
        callback: ProgressCallback | None,
        log_every: int,
    ) -> None:
        self.key, self.kind, self.total = key, kind, total
        self.callback = callback
        self.log_every = log_every
        self.logging = log_every > 0 and math.ceil(total / batch_size) > log_every
        self.batches = 0
        self.start = time.perf_counter()

    def update(self, done: int) -> None:
        self.batches += 1
        if self.callback is not None:
            self.callback(self.key, done, self.total)
        if self.logging and (self.batches % self.log_every == 0 or done == self.total):
            rate = done / max(time.perf_counter() - self.start, 1e-9)
            logger.info(
                "embedded %d/%d %s inputs of %s (%.1f/s)",
                done,
                self.total,
                self.kind,
                self.key,
                rate,
            )


# ---------------------------------------------------------------- the embedder


class Embedder:
    """Encodes `Inputs` with an `Encoder`, batching, prefetching and caching as it goes.

    Settings: `batch_size` (inputs per encoder call, default 32), `num_workers` (DataLoader
    processes for images; default `default_num_workers()`, 0 = main process),
    `prefetch_factor` (batches each worker prepares ahead), `device` (where pixel batches
    go; default: the encoder's `device` attribute or parameters, else CPU), `precision`
    ("fp32" | "fp16" | "bf16"; autocast on CUDA only), `cache_dir` (on-disk cache, shared
    by runs and xdist workers), `memory_cache_bytes` (in-memory LRU budget; 0 disables),
    `progress` (callback per batch), `log_every` (log progress every N batches of encodes
    longer than that; 0 = never). The encoder's fingerprint is read once, at construction.
    """

    def __init__(
        self,
        encoder: Encoder,
        *,
        batch_size: int = 32,
        num_workers: int | None = None,
        prefetch_factor: int = 2,
        device: str | torch.device | None = None,
        precision: Precision | str = "fp32",
        cache_dir: str | os.PathLike[str] | None = None,
        memory_cache_bytes: int | None = None,
        progress: ProgressCallback | None = None,
        log_every: int = 50,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if num_workers is not None and num_workers < 0:
            raise ValueError(f"num_workers must be 0 or more, got {num_workers}")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        self.encoder = encoder
        self.batch_size = batch_size
        self.num_workers = default_num_workers() if num_workers is None else num_workers
        self.prefetch_factor = max(1, prefetch_factor)
        self.device = _resolve_device(encoder, device)
        self.precision = precision
        self._autocast_dtype = autocast_dtype(precision, self.device)
        if precision != "fp32" and self._autocast_dtype is None:
            logger.info(
                "precision %s applies on CUDA only; encoding in fp32 on %s", precision, self.device
            )
        self._pin_memory = pins_memory(self.device)
        self.memory = MemoryCache(
            default_memory_budget() if memory_cache_bytes is None else memory_cache_bytes
        )
        self.disk = DiskCache(cache_dir) if cache_dir is not None else None
        self.progress = progress
        self.log_every = log_every
        self.stats = EmbedStats()
        self.fingerprint = encoder.fingerprint
        self._prompt_aware = {
            kind: _accepts_keyword(getattr(encoder, method, None), "prompt_type")
            for kind, method in _ENCODE_METHODS.items()
        }

    @property
    def similarity(self) -> Literal["cosine", "dot"]:
        return self.encoder.similarity

    def cache_key(self, inputs: Inputs, prompt_type: str | None = None) -> CacheKey:
        kind = inputs.kind
        prompt = prompt_type if self._prompt_aware[kind] else None
        return CacheKey(self.fingerprint, inputs.key, kind, prompt)

    def embed(self, inputs: Inputs, *, prompt_type: str | None = None) -> np.ndarray:
        """Float32 (len(inputs), d) embeddings, read-only, from the cache when possible."""
        self.stats.requests += 1
        n_rows = len(inputs)
        if n_rows == 0:
            return read_only(np.zeros((0, self.encoder.embed_dim), dtype=np.float32))
        key = self.cache_key(inputs, prompt_type)
        cached = self._lookup(key, n_rows)
        if cached is not None:
            return cached
        sliced = self._slice_of_cached_parent(inputs, key)
        if sliced is not None:
            return sliced
        result = read_only(self._encode(inputs, key.prompt_type))
        self.memory.put(key, result)
        if self.disk is not None:
            try:
                self.disk.save(key, result)
                self.stats.disk_writes += 1
            except OSError as exc:  # a full or read-only cache must not fail the task
                logger.warning("could not write embedding cache for %s: %s", inputs.key, exc)
        return result

    def clear_memory(self) -> None:
        self.memory.clear()

    # -- cache

    def _lookup(self, key: CacheKey, n_rows: int) -> np.ndarray | None:
        arr = self.memory.get(key)
        if arr is not None and len(arr) != n_rows:
            logger.warning(
                "cached embeddings for %s have %d rows, inputs have %d; re-encoding",
                key.data_key,
                len(arr),
                n_rows,
            )
            self.memory.discard(key)
            arr = None
        if arr is not None:
            self.stats.memory_hits += 1
            return arr
        if self.disk is None:
            return None
        arr = self.disk.load(key, n_rows)
        if arr is None:
            return None
        self.stats.disk_hits += 1
        arr = read_only(arr)
        self.memory.put(key, arr)
        return arr

    def _slice_of_cached_parent(self, inputs: Inputs, key: CacheKey) -> np.ndarray | None:
        """Rows of an ancestor column already in memory or on disk (mapped, not read)."""
        for parent_data_key, rows in row_origins(inputs):
            parent_key = key.with_data_key(parent_data_key)
            parent = self.memory.get(parent_key)
            if parent is None and self.disk is not None:
                parent = self.disk.load(parent_key, mmap=True)
            if parent is not None and int(rows.max()) < len(parent):
                self.stats.slice_hits += 1
                return read_only(np.array(parent[rows], dtype=np.float32))
        return None

    # -- encoding

    def _encode(self, inputs: Inputs, prompt_type: str | None) -> np.ndarray:
        kind = inputs.kind
        start = time.perf_counter()
        if kind == "image":
            result = self._encode_images(inputs, prompt_type)
        elif kind == "text":
            result = self._encode_texts(inputs, prompt_type)
        else:
            result = self._encode_fused(inputs, prompt_type)
        self.stats.seconds[kind] += time.perf_counter() - start
        return result

    def _call(self, kind: InputKind, *args: Any, prompt_type: str | None) -> Any:
        method = getattr(self.encoder, _ENCODE_METHODS[kind])
        if self._prompt_aware[kind]:
            return method(*args, prompt_type=prompt_type)
        return method(*args)

    @contextlib.contextmanager
    def _model_context(self) -> Iterator[None]:
        with torch.inference_mode():
            if self._autocast_dtype is None:
                yield
            else:
                with torch.autocast(device_type="cuda", dtype=self._autocast_dtype):
                    yield

    def _threads_beside(self, workers: int) -> contextlib.AbstractContextManager[None]:
        """On CPU, leave the DataLoader workers their cores (see `encode_threads`)."""
        if self.device.type != "cpu":
            return contextlib.nullcontext()
        return torch_threads(encode_threads(workers, torch.get_num_threads()))

    def _loader(self, dataset: Dataset, collate: Callable[[list[Any]], Any], pin: bool) -> Any:
        n_batches = math.ceil(len(dataset) / self.batch_size)
        workers = min(self.num_workers, n_batches)  # no idle worker processes for tiny inputs
        extra = {"prefetch_factor": self.prefetch_factor} if workers else {}
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            shuffle=False,
            num_workers=workers,
            collate_fn=collate,
            pin_memory=pin,
            **extra,
        )

    def _progress(self, inputs: Inputs, kind: str, total: int) -> _Progress:
        return _Progress(inputs.key, kind, total, self.batch_size, self.progress, self.log_every)

    def _encode_images(self, inputs: Inputs, prompt_type: str | None) -> np.ndarray:
        assert inputs.images is not None
        dataset = _ImageRows(inputs.images, self.encoder.image_transform)
        loader = self._loader(dataset, _collate_pixels, pin=self._pin_memory)

        def encode(batch: torch.Tensor, start: int) -> Any:
            batch = to_device(batch, self.device, non_blocking=self._pin_memory)
            return self._call("image", batch, prompt_type=prompt_type)

        return self._encode_row_batches(inputs, "image", loader, encode)

    def _encode_row_batches(
        self,
        inputs: Inputs,
        kind: InputKind,
        loader: Any,
        encode: Callable[[Any, int], Any],
    ) -> np.ndarray:
        """Encode the loader's batches of image rows in order (`encode(batch, first_row)`),
        with worker threads, progress and stats; a failed row raises naming its row."""
        collector = _Collector(inputs.key, len(inputs))
        progress = self._progress(inputs, kind, len(inputs))
        done = 0
        with self._threads_beside(loader.num_workers), self._model_context():
            for batch in loader:
                if isinstance(batch, _RowFailure):
                    raise batch.error(inputs.key)
                size = len(batch)
                collector.add(encode(batch, done), slice(done, done + size), size)
                done += size
                self.stats.batches[kind] += 1
                progress.update(done)
        self.stats.encoded[kind] += done
        return collector.finish()

    def _encode_texts(self, inputs: Inputs, prompt_type: str | None) -> np.ndarray:
        assert inputs.texts is not None
        texts = _check_texts(inputs.key, inputs.texts)
        unique = list(dict.fromkeys(texts))
        order = sorted(range(len(unique)), key=lambda i: len(unique[i]), reverse=True)
        collector = _Collector(inputs.key, len(unique))
        progress = self._progress(inputs, "text", len(unique))
        with self._model_context():
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                emb = self._call("text", [unique[i] for i in rows], prompt_type=prompt_type)
                collector.add(emb, np.asarray(rows, dtype=np.intp), len(rows))
                self.stats.batches["text"] += 1
                progress.update(start + len(rows))
        self.stats.encoded["text"] += len(unique)
        out = collector.finish()
        if len(unique) == len(texts):
            return out
        position = {text: i for i, text in enumerate(unique)}
        return out[np.fromiter((position[t] for t in texts), dtype=np.intp, count=len(texts))]

    def _encode_fused(self, inputs: Inputs, prompt_type: str | None) -> np.ndarray:
        assert inputs.images is not None and inputs.texts is not None
        texts = _check_texts(inputs.key, inputs.texts)
        loader = self._loader(_ImageRows(inputs.images, None), _collate_images, pin=False)

        def encode(batch: list[Image.Image], start: int) -> Any:
            paired = texts[start : start + len(batch)]
            return self._call("image+text", batch, paired, prompt_type=prompt_type)

        return self._encode_row_batches(inputs, "image+text", loader, encode)
