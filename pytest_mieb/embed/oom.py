"""Out of memory while encoding: halve the batch and retry the same inputs.

A large model on one GPU leaves room for an unknown number of inputs per batch. `BatchFit`
finds it while encoding: an out-of-memory error (`torch.OutOfMemoryError`, or a
`RuntimeError` saying "out of memory", as CUDA, cuBLAS and MPS word it) halves the batch,
frees the allocator's cache and encodes the same inputs again in parts. The reduced size
is kept (the Embedder holds one `BatchFit` per model for the session): later batches are
cut to it and later encodes load batches of that size. An input that fails alone (a batch
of 1) ends its task with one line (`EncoderOutOfMemory`); the halvings that led there are
undone, so the next task starts from the size that held before.

The normal path is one call inside a ``try`` (free in Python 3.11+) and a length check.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from pytest_mieb.embed.multivector import MultiVectors, concat
from pytest_mieb.evaluators.base import EmbeddingError

#: Halvings are the Embedder's news: they keep its logger name, which users filter by.
logger = logging.getLogger("pytest_mieb.embed.embedder")


class EncoderOutOfMemory(EmbeddingError):
    """One input does not fit in memory even alone: that task cannot be encoded."""


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether `exc` is the device (or host) allocator running out of memory."""
    oom = getattr(torch, "OutOfMemoryError", None) or getattr(torch.cuda, "OutOfMemoryError", ())
    if oom and isinstance(exc, oom):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def free_device_memory() -> None:
    """Return the cached blocks of a failed batch to the device before the retry."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()


def join_parts(parts: Sequence[Any]) -> Any:
    """The outputs of a batch's parts as one output, in row order."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(list(parts))
    if isinstance(first, list):
        return [row for part in parts for row in part]
    if isinstance(first, MultiVectors):  # a late-interaction encoder's token vectors
        return concat(list(parts))
    return np.concatenate([np.asarray(part) for part in parts])


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:200]


class BatchFit:
    """The largest batch size that fits, found by halving on out-of-memory errors."""

    def __init__(self) -> None:
        #: Inputs per encoder call that fit; None until an out-of-memory error was seen.
        self.limit: int | None = None
        #: How many times a batch was halved (for tests and the curious).
        self.halvings = 0

    def loader_size(self, batch_size: int) -> int:
        """The batch size to load with: the configured one, cut to what fits."""
        return batch_size if self.limit is None else min(batch_size, self.limit)

    def call(self, encode: Callable[..., Any], *args: Any, what: str) -> Any:
        """`encode(*args)`, all args sliced alike along their first axis, in parts of at
        most `limit` rows; `what` names the inputs in the one-line error."""
        n = len(args[0])
        before = self.limit
        if before is None or n <= before:
            failure = None
            try:
                return encode(*args)
            except Exception as exc:
                if not is_out_of_memory(exc):
                    raise
                failure = _first_line(exc)  # leave the handler: its frames hold the batch
            self._shrink(n, failure, what, before)
        return self._in_parts(encode, args, n, what, before)

    def _in_parts(
        self, encode: Callable[..., Any], args: Sequence[Any], n: int, what: str, before: int | None
    ) -> Any:
        parts: list[Any] = []
        start = 0
        while start < n:
            assert self.limit is not None
            size = min(self.limit, n - start)
            failure = None
            try:
                parts.append(encode(*(arg[start : start + size] for arg in args)))
            except Exception as exc:
                if not is_out_of_memory(exc):
                    raise
                failure = _first_line(exc)
            if failure is None:
                start += size
            else:
                self._shrink(size, failure, what, before)
        return join_parts(parts)

    def _shrink(self, failed: int, message: str, what: str, before: int | None) -> None:
        free_device_memory()
        if failed <= 1:
            self.limit = before
            raise EncoderOutOfMemory(
                f"out of memory encoding a single input of {what} (batch size 1): {message}"
            )
        self.limit = (failed + 1) // 2
        self.halvings += 1
        logger.warning(
            "out of memory with a batch of %d %s; retrying in batches of %d (kept for this "
            "model): %s",
            failed,
            what,
            self.limit,
            message,
        )
