"""The main-process side of encoding: batches in order through the encoder into one array.

`BatchLoop` runs one encode: image rows are decoded inline or in DataLoader workers,
whichever measured costs say is faster (`embed.row_source`, `embed.decode`), and
are copied to the device (pinned memory + non-blocking copies on CUDA); on the CPU, pixel
batches are instead decoded and encoded whole by this process and forked copies of it
(`embed.forked`) under the same rule; texts are
de-duplicated and sent longest first; outputs are gathered in the caller's row order as
float32 on the CPU, device outputs copied to the host in groups so the GPU is not
synchronised per batch. On the CPU, while workers run, torch's intra-op threads in the main
process are cut to the cores the workers leave free (`encode_threads`) and restored after.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from pytest_mieb.data.containers import InputKind, Inputs
from pytest_mieb.embed.decode import ImageRows, RowFailure, collate_images, collate_pixels
from pytest_mieb.embed.forked import forked_results
from pytest_mieb.embed.multivector import MultiVectors, concat
from pytest_mieb.embed.row_source import AdaptiveRows, DecodeCosts, decode_inline
from pytest_mieb.evaluators.base import EmbeddingError
from pytest_mieb.runtime import AUTOCAST_PRECISIONS, usable_cpus

#: Progress lines are the Embedder's: they keep its logger name, which users filter by.
logger = logging.getLogger("pytest_mieb.embed.embedder")

#: Called after every batch with (inputs key, inputs done, inputs total).
ProgressCallback = Callable[[str, int, int], None]
#: Called with one batch (pixels, texts, or images and their texts), returns its embeddings.
EncodeCall = Callable[..., Any]

INPUT_KINDS: tuple[InputKind, ...] = ("image", "text", "image+text")
_AUTOCAST_DTYPES = {p: getattr(torch, name) for p, name in AUTOCAST_PRECISIONS.items()}
#: Device outputs are copied to the host in groups, so the GPU is not synchronised per batch.
_DEVICE_FLUSH_EVERY = 8


def default_num_workers() -> int:
    """One worker per usable CPU, minus one for the main process (max 16)."""
    return max(0, min(usable_cpus() - 1, 16))


def encode_threads(workers: int, current: int) -> int:
    """Torch intra-op threads for the main process while `workers` worker processes (DataLoader
    decoders, or forked encoders) run on the CPU: the CPUs they leave free (at least 1), never
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

    encoded: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INPUT_KINDS, 0))
    batches: dict[str, int] = field(default_factory=lambda: dict.fromkeys(INPUT_KINDS, 0))
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(INPUT_KINDS, 0.0))
    requests: int = 0
    memory_hits: int = 0
    disk_hits: int = 0
    slice_hits: int = 0
    disk_writes: int = 0

    @property
    def cache_hits(self) -> int:
        return self.memory_hits + self.disk_hits + self.slice_hits


def check_texts(key: str, texts: Sequence[Any]) -> list[str]:
    """The texts as a list; a non-string row raises naming the inputs key and the row."""
    out = list(texts)
    for row, text in enumerate(out):
        if not isinstance(text, str):
            raise ValueError(f"Inputs {key!r}: text at row {row} is {type(text).__name__}, not str")
    return out


class _Collector:
    """Gathers batch outputs into one float32 (n, d) array in the right rows (or, for a
    late-interaction encoder's `MultiVectors`, into one `MultiVectors` in row order)."""

    def __init__(self, key: str, n_rows: int) -> None:
        self.key = key
        self.n_rows = n_rows
        self.out: np.ndarray | None = None
        self.dim: int | None = None
        self._pending: list[tuple[torch.Tensor, Any]] = []
        self._multi: list[tuple[MultiVectors, np.ndarray]] = []

    def add(self, emb: Any, rows: Any, n_expected: int) -> None:
        if isinstance(emb, MultiVectors):
            self._check_shape(emb.shape, n_expected)
            self._multi.append((emb, np.arange(self.n_rows)[rows]))
            return
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

    def finish(self) -> Any:
        if self._multi:
            if self._pending or self.out is not None:
                raise EmbeddingError(f"Inputs {self.key!r}: encoder mixed single and multi-vector")
            order = np.concatenate([rows for _, rows in self._multi])
            return concat([mv for mv, _ in self._multi])[np.argsort(order, kind="stable")]
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


@dataclass
class _Gathered:
    """One encode's batch outputs put in their rows as they come, in any order, with the
    progress and the stats counted; a batch that is a failed row raises naming its row."""

    key: str
    kind: InputKind
    collector: _Collector
    progress: _Progress
    stats: EmbedStats
    done: int = 0

    def raise_if_failed(self, batch: Any) -> None:
        if isinstance(batch, RowFailure):
            raise batch.error(self.key)

    def add(self, output: Any, start: int, rows: int) -> None:
        self.collector.add(output, slice(start, start + rows), rows)
        self.done += rows
        self.stats.batches[self.kind] += 1
        self.progress.update(self.done)

    def finish(self) -> Any:
        self.stats.encoded[self.kind] += self.done
        return self.collector.finish()


@dataclass
class BatchLoop:
    """One encode's batches, run in the main process with the Embedder's settings.

    `call` is the encoder method for the input kind (prompt type already bound); `stats`
    (the Embedder's) is counted per batch.
    """

    batch_size: int
    num_workers: int
    prefetch_factor: int
    device: torch.device
    autocast: torch.dtype | None
    pin_memory: bool
    progress: ProgressCallback | None
    log_every: int
    stats: EmbedStats
    decode_costs: DecodeCosts = field(default_factory=DecodeCosts)
    #: False: PIL images reach `encode_images` / `encode_fused` in their stored mode.
    rgb_images: bool = True
    #: Pixel batches are decoded and encoded by forked copies of the process as well
    #: (`embed.forked`; the Embedder decides: CPU, fork-safe encoder, Linux).
    fork_encode: bool = False
    #: What starting forked children costs (kept apart from DataLoader workers' start).
    fork_costs: DecodeCosts = field(default_factory=DecodeCosts)

    def images(
        self, inputs: Inputs, transform: Callable[[Any], Any] | None, call: EncodeCall
    ) -> np.ndarray:
        """Pixel batches: decoded and transformed in workers, then sent to the device; without
        a transform, batches of decoded RGB PIL images (for `encode_images`)."""
        assert inputs.images is not None
        dataset = ImageRows(inputs.images, transform, rgb=transform is not None or self.rgb_images)
        if transform is None:
            loader = self._loader(dataset, collate_images, pin=False)
            return self._row_batches(inputs, "image", loader, lambda batch, start: call(batch))

        def encode(batch: torch.Tensor, start: int) -> Any:
            return call(to_device(batch, self.device, non_blocking=self.pin_memory))

        if self.fork_encode and self.num_workers > 0:
            return self._encoded_in_forks(inputs, dataset, encode)
        loader = self._loader(dataset, collate_pixels, pin=self.pin_memory)
        return self._row_batches(inputs, "image", loader, encode)

    def texts(self, inputs: Inputs, call: EncodeCall) -> np.ndarray:
        """Unique texts, longest first so batches hold similar lengths, in the caller's order."""
        assert inputs.texts is not None
        texts = check_texts(inputs.key, inputs.texts)
        unique = list(dict.fromkeys(texts))
        order = sorted(range(len(unique)), key=lambda i: len(unique[i]), reverse=True)
        collector = _Collector(inputs.key, len(unique))
        progress = self._progress(inputs, "text", len(unique))
        with self._model_context():
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                emb = call([unique[i] for i in rows])
                collector.add(emb, np.asarray(rows, dtype=np.intp), len(rows))
                self.stats.batches["text"] += 1
                progress.update(start + len(rows))
        self.stats.encoded["text"] += len(unique)
        out = collector.finish()
        if len(unique) == len(texts):
            return out
        position = {text: i for i, text in enumerate(unique)}
        return out[np.fromiter((position[t] for t in texts), dtype=np.intp, count=len(texts))]

    def fused(self, inputs: Inputs, call: EncodeCall) -> np.ndarray:
        """RGB PIL images decoded in workers, each batch given with its rows' texts."""
        assert inputs.images is not None and inputs.texts is not None
        texts = check_texts(inputs.key, inputs.texts)
        rows = ImageRows(inputs.images, None, rgb=self.rgb_images)
        loader = self._loader(rows, collate_images, pin=False)

        def encode(batch: list[Image.Image], start: int) -> Any:
            return call(batch, texts[start : start + len(batch)])

        return self._row_batches(inputs, "image+text", loader, encode)

    def _row_batches(
        self,
        inputs: Inputs,
        kind: InputKind,
        loader: Any,
        encode: Callable[[Any, int], Any],
    ) -> np.ndarray:
        """Encode the loader's batches of image rows in order (`encode(batch, first_row)`),
        with worker threads, progress and stats; a failed row raises naming its row."""
        gathered = self._gathered(inputs, kind)
        with contextlib.closing(iter(loader)) as batches, self._model_context():
            for batch in batches:
                gathered.raise_if_failed(batch)
                gathered.add(encode(batch, gathered.done), gathered.done, len(batch))
        return gathered.finish()

    def _encoded_in_forks(
        self, inputs: Inputs, dataset: ImageRows, encode: Callable[[Any, int], Any]
    ) -> np.ndarray:
        """Pixel batches decoded and encoded whole by one process each (`embed.forked`).

        The first batch is done here and timed; the rest goes to forked children beside this
        process only when doing it here would cost more than starting them (the rule of
        `row_source.decode_inline`, with encoding counted in). Batch k holds the same rows
        whoever runs it, so where a batch ran never changes an embedding.
        """
        n_rows, size = len(dataset), self.batch_size
        n_batches = math.ceil(n_rows / size)

        def produce(index: int) -> Any:
            start = index * size
            batch = dataset.pixel_batch(range(start, min(start + size, n_rows)))
            return batch if isinstance(batch, RowFailure) else encode(batch, start)

        gathered = self._gathered(inputs, "image")

        def add(index: int, result: Any) -> None:
            gathered.raise_if_failed(result)
            start = index * size
            gathered.add(result, start, min(start + size, n_rows) - start)

        with self._model_context():
            started = time.perf_counter()
            add(0, produce(0))
            seconds_per_row = (time.perf_counter() - started) / min(size, n_rows)
            children = min(self.num_workers, n_batches - 1)
            rows_left = n_rows - gathered.done
            if decode_inline(rows_left, seconds_per_row, children, self.fork_costs.worker_start_s):
                for index in range(1, n_batches):
                    add(index, produce(index))
            else:
                with (
                    self._threads_beside(children),
                    contextlib.closing(
                        forked_results(
                            1, n_batches, children, produce, self.fork_costs.record_start
                        )
                    ) as results,
                ):
                    for index, result in results:
                        add(index, result)
        return gathered.finish()

    def _gathered(self, inputs: Inputs, kind: InputKind) -> _Gathered:
        n_rows = len(inputs)
        return _Gathered(
            inputs.key,
            kind,
            _Collector(inputs.key, n_rows),
            self._progress(inputs, kind, n_rows),
            self.stats,
        )

    @contextlib.contextmanager
    def _model_context(self) -> Iterator[None]:
        with torch.inference_mode():
            if self.autocast is None:
                yield
            else:
                with torch.autocast(device_type="cuda", dtype=self.autocast):
                    yield

    def _threads_beside(self, workers: int) -> contextlib.AbstractContextManager[None]:
        """On CPU, leave the worker processes their cores (see `encode_threads`)."""
        if self.device.type != "cpu":
            return contextlib.nullcontext()
        return torch_threads(encode_threads(workers, torch.get_num_threads()))

    def _loader(
        self, dataset: Dataset, collate: Callable[[list[Any]], Any], pin: bool
    ) -> AdaptiveRows:
        return AdaptiveRows(
            dataset,
            batch_size=self.batch_size,
            collate=collate,
            workers=self.num_workers,
            prefetch_factor=self.prefetch_factor,
            pin_memory=pin,
            costs=self.decode_costs,
            while_workers=self._threads_beside,
        )

    def _progress(self, inputs: Inputs, kind: str, total: int) -> _Progress:
        return _Progress(inputs.key, kind, total, self.batch_size, self.progress, self.log_every)
