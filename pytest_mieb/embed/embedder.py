"""The Embedder: turns `Inputs` into float32 embeddings, encoding each input only once.

Evaluators call ``embed(inputs, side=..., subset=..., split=...)`` on the embedder bound to
their task (`for_task`, see `pytest_mieb.embed.task_embedder`) and never see how it is done:

* Images: decoded, converted to RGB and run through the encoder's `image_transform` in
  DataLoader worker processes (`num_workers`; 0 = main process), stacked into pixel
  batches, copied to the device (pinned memory + non-blocking copies on CUDA) and given to
  `encode_pixels`. Image columns may hold PIL images, datasets' undecoded
  `{"bytes", "path"}` dicts, raw bytes or file paths; decoding then also happens in workers.
  On the CPU (Linux, an encoder not marked ``fork_safe = False``) the workers are forked
  copies of the process that decode *and* encode whole batches beside it
  (`pytest_mieb.embed.forked`), so every core runs the model, not one.
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

Task context: an encoder method that accepts a ``context`` keyword gets the request's
`EncodeContext` (task, type, category, side, modality, languages, suite prompt, subset,
split); one that accepts only ``prompt_type`` gets the side as the prompt type (mteb's
query / document on retrieval sides, None elsewhere); one that accepts neither gets neither,
so encoders written before contexts existed keep working unchanged.

Reuse: a result is cached under (encoder fingerprint, `inputs.key`, input kind, variant),
in memory (LRU, see `pytest_mieb.embed.cache`) and, with `cache_dir`, on disk. The variant
is what of the context can change the method's output: for a context-aware method the
encoder's ``context_key(context)`` if it defines one (e.g. the instruction it chose), else the
task, side, subset, split and prompt; for a ``prompt_type`` method the side; for any other
method nothing, so the same column is encoded once across tasks and sides (CLIP-like
models). A row subset of an image or fused column (`Inputs.subset`) is
served by slicing when an ancestor column is cached (in memory, or on disk, memory-mapped);
text-only subsets carry no row map and are encoded (cheaply) on their own. Returned arrays
are read-only: in-place edits would silently change what later tasks get from the cache,
so they fail loudly instead.

Late interaction: an encoder whose ``similarity`` is "maxsim" returns `MultiVectors` (token
vectors per input, `pytest_mieb.embed.multivector`) from its methods; they are gathered,
cached (memory and disk) and sliced the same way, and `embed` returns a `MultiVectors`.

Precision: every precision but "fp32" ("fp16", "bf16", "fp16-mixed", "bf16-mixed") runs
the encoder under CUDA autocast in that dtype (the loader decides the weights' dtype: cast
for fp16 / bf16, fp32 for the mixed ones); on any other device the encoder runs in fp32.
Outputs are always upcast to float32 on the CPU.
Out of memory: a batch that raises an out-of-memory error is halved and its inputs encoded
again in parts; the size that fits is kept for this embedder's later batches and encodes
(`pytest_mieb.embed.oom`); an input that fails alone fails its task with one line.
Not thread-safe: one Embedder serves one pytest process (xdist workers each have one).

This module holds the Embedder (cache lookups, dispatch by input kind, stats); the worker
side lives in `pytest_mieb.embed.decode`, the main-process batch loop in
`pytest_mieb.embed.batches`, the caches in `pytest_mieb.embed.cache`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np
import torch

from pytest_mieb.data.containers import InputKind, Inputs, RowView
from pytest_mieb.embed.batches import (
    BatchLoop,
    EmbedStats,
    ProgressCallback,
    autocast_dtype,
    default_num_workers,
    pins_memory,
)
from pytest_mieb.embed.cache import (
    CacheKey,
    DiskCache,
    MemoryCache,
    default_memory_budget,
    read_only,
)
from pytest_mieb.embed.forked import encodes_in_forks
from pytest_mieb.embed.multivector import MultiVectors
from pytest_mieb.embed.oom import BatchFit
from pytest_mieb.embed.row_source import DecodeCosts
from pytest_mieb.embed.task_embedder import TaskEmbedder, accepts_keyword
from pytest_mieb.models.base import Encoder
from pytest_mieb.models.context import EncodeContext
from pytest_mieb.runtime import PRECISIONS

logger = logging.getLogger(__name__)

Precision = Literal["fp32", "fp16", "bf16", "fp16-mixed", "bf16-mixed"]
#: How an encode method is called: with the context, with the side as prompt type, or plainly.
CallMode = Literal["context", "prompt_type", "plain"]

_ENCODE_METHODS: dict[InputKind, str] = {
    "image": "encode_pixels",
    "text": "encode_texts",
    "image+text": "encode_fused",
}


def encode_methods(encoder: Encoder) -> dict[InputKind, str]:
    """The encoder method per input kind. Images go to `encode_pixels` after the encoder's
    `image_transform`; an encoder without a transform that has `encode_images` (an API
    model, which sends the images themselves) gets batches of decoded RGB PIL images."""
    methods = dict(_ENCODE_METHODS)
    no_transform = getattr(encoder, "image_transform", None) is None
    if no_transform and callable(getattr(encoder, "encode_images", None)):
        methods["image"] = "encode_images"
    return methods


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


def call_mode(method: Any) -> CallMode:
    """How the embedder calls an encode method (see the module docstring)."""
    if accepts_keyword(method, "context"):
        return "context"
    return "prompt_type" if accepts_keyword(method, "prompt_type") else "plain"


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


class Embedder:
    """Encodes `Inputs` with an `Encoder`, batching, prefetching and caching as it goes.

    Settings: `batch_size` (inputs per encoder call, default 32), `num_workers` (worker
    processes for images: DataLoader decoders, or forked encoders on the CPU; default
    `default_num_workers()`, 0 = main process),
    `prefetch_factor` (batches each worker prepares ahead), `device` (where pixel batches
    go; default: the encoder's `device` attribute or parameters, else CPU), `precision`
    (`pytest_mieb.runtime.PRECISIONS`; autocast on CUDA only), `cache_dir` (on-disk cache, shared
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
        self.decode_costs = DecodeCosts()
        self.fork_costs = DecodeCosts()
        self.device = _resolve_device(encoder, device)
        self.precision = precision
        self._autocast_dtype = autocast_dtype(precision, self.device)
        if precision != "fp32" and self._autocast_dtype is None:
            logger.info(
                "precision %s applies on CUDA only; encoding in fp32 on %s", precision, self.device
            )
        self._pin_memory = pins_memory(self.device)
        #: On the CPU, forked copies of the process decode *and* encode pixel batches.
        self.fork_encode = encodes_in_forks(self.device.type, getattr(encoder, "fork_safe", True))
        self.memory = MemoryCache(
            default_memory_budget() if memory_cache_bytes is None else memory_cache_bytes
        )
        self.disk = DiskCache(cache_dir) if cache_dir is not None else None
        self.progress = progress
        self.log_every = log_every
        self.stats = EmbedStats()
        self.fingerprint = encoder.fingerprint
        self._methods = encode_methods(encoder)
        self._modes: dict[InputKind, CallMode] = {
            kind: call_mode(getattr(encoder, method, None))
            for kind, method in self._methods.items()
        }
        self._context_key = getattr(encoder, "context_key", None)
        #: The batch size that fits on the device, found on out-of-memory errors.
        self.fit = BatchFit()

    @property
    def similarity(self) -> Literal["cosine", "dot", "maxsim"]:
        return self.encoder.similarity

    def for_task(self, spec: Any) -> TaskEmbedder:
        """This embedder bound to the task `spec` (what evaluators are given)."""
        return TaskEmbedder(self, spec)

    def cache_key(
        self,
        inputs: Inputs,
        prompt_type: str | None = None,
        context: EncodeContext | None = None,
    ) -> CacheKey:
        kind = inputs.kind
        return CacheKey(
            self.fingerprint, inputs.key, kind, self._variant(kind, prompt_type, context)
        )

    def _variant(
        self, kind: InputKind, prompt_type: str | None, context: EncodeContext | None
    ) -> str | None:
        mode = self._modes[kind]
        if mode == "prompt_type":
            return prompt_type
        if mode == "plain" or context is None:
            return None
        if self._context_key is not None:
            return "key:" + str(self._context_key(context))
        return "context:" + json.dumps(context.cache_parts())

    def embed(
        self,
        inputs: Inputs,
        *,
        prompt_type: str | None = None,
        context: EncodeContext | None = None,
    ) -> np.ndarray:
        """Float32 (len(inputs), d) embeddings, read-only, from the cache when possible (a
        late-interaction encoder's: `MultiVectors`, one token matrix per input).

        `context` is the request's task context (`for_task` builds it); without one, a
        context-aware encoder method gets ``context=None``. `prompt_type` defaults to the
        context's side.
        """
        if context is not None:
            if prompt_type is not None and prompt_type != context.side:
                raise ValueError(
                    f"prompt_type {prompt_type!r} contradicts the context's side {context.side!r}"
                )
            prompt_type = context.side
        self.stats.requests += 1
        n_rows = len(inputs)
        if n_rows == 0:
            if self.encoder.similarity == "maxsim":
                return MultiVectors.from_items([], dim=self.encoder.embed_dim)
            return read_only(np.zeros((0, self.encoder.embed_dim), dtype=np.float32))
        key = self.cache_key(inputs, prompt_type, context)
        cached = self._lookup(key, n_rows)
        if cached is not None:
            return cached
        sliced = self._slice_of_cached_parent(inputs, key)
        if sliced is not None:
            return sliced
        result = read_only(self._encode(inputs, prompt_type, context))
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
                if isinstance(parent, MultiVectors):
                    return parent[rows]
                return read_only(np.array(parent[rows], dtype=np.float32))
        return None

    # -- encoding

    def _encode(
        self, inputs: Inputs, prompt_type: str | None, context: EncodeContext | None
    ) -> np.ndarray:
        kind = inputs.kind
        start = time.perf_counter()
        batches = self._batch_loop()

        def encode(*batch: Any) -> Any:
            return self._call(kind, *batch, prompt_type=prompt_type, context=context)

        what = f"the {kind} inputs {inputs.key!r}"

        def call(*batch: Any) -> Any:
            return self.fit.call(encode, *batch, what=what)

        if kind == "image":
            result = batches.images(inputs, self.encoder.image_transform, call)
        elif kind == "text":
            result = batches.texts(inputs, call)
        else:
            result = batches.fused(inputs, call)
        self.stats.seconds[kind] += time.perf_counter() - start
        return result

    def _call(
        self,
        kind: InputKind,
        *args: Any,
        prompt_type: str | None,
        context: EncodeContext | None,
    ) -> Any:
        method = getattr(self.encoder, self._methods[kind])
        mode = self._modes[kind]
        if mode == "context":
            return method(*args, context=context)
        if mode == "prompt_type":
            return method(*args, prompt_type=prompt_type)
        return method(*args)

    def _batch_loop(self) -> BatchLoop:
        """The batch loop with the current settings (they may be changed between calls)."""
        return BatchLoop(
            batch_size=self.fit.loader_size(self.batch_size),
            num_workers=self.num_workers,
            prefetch_factor=self.prefetch_factor,
            device=self.device,
            autocast=self._autocast_dtype,
            pin_memory=self._pin_memory,
            progress=self.progress,
            log_every=self.log_every,
            stats=self.stats,
            decode_costs=self.decode_costs,
            rgb_images=not getattr(self.encoder, "keeps_image_mode", False),
            fork_encode=self.fork_encode,
            fork_costs=self.fork_costs,
        )
