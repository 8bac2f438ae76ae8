"""`ApiEncoder`: an `Encoder` whose embeddings come from a vendor's HTTP API.

Per call (`encode_texts`, `encode_images`, `encode_fused`):

1. every input gets a key (provider, model, request format, input type, dimension, dtype,
   and a digest of its texts and image pixels) and is looked up in the API cache;
2. the missing ones are prepared (images encoded, on a few threads) and packed greedily into
   requests within the provider's `Limits` (inputs, estimated tokens, bytes; an input alone
   above a limit goes alone);
3. each request goes out through `Transport` (budget, retries, backoff) and its answer is
   stored at once, so an interruption loses at most the request in flight.

Images come as decoded RGB PIL images (the embedder calls `encode_images` for an encoder
without an `image_transform`). The side of a retrieval call comes from `context.side` when
the embedder passes a task context, else from `prompt_type`; only what the side changes in
the request (`context_key`) separates cache entries. Vectors are returned as the API gives
them (float32, not normalised: MIEB scores API models by cosine, as mteb does).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from pytest_mieb.models.api import usage
from pytest_mieb.models.api.errors import ApiRequestError
from pytest_mieb.models.api.images import pixel_digest
from pytest_mieb.models.api.provider import Item, Prepared, Provider
from pytest_mieb.models.api.settings import ApiSettings, current
from pytest_mieb.models.api.store import ApiStore, store_at
from pytest_mieb.models.api.transport import Transport

#: Inputs prepared (images encoded) ahead of packing, at most: bounds memory.
PREPARE_CHUNK = 64
MODALITIES = frozenset({"text", "image", "image+text"})


class ApiEncoder:
    """Embeddings of `provider`'s model; `settings` default to the session's."""

    similarity = "cosine"
    device = "cpu"
    image_transform = None  # images reach `encode_images` as PIL images
    modalities = MODALITIES

    def __init__(
        self,
        provider: Provider,
        *,
        settings: ApiSettings | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.provider = provider
        self.name = provider.ref.name
        self.revision = "1"  # mteb's revision for API models
        self.embed_dim = provider.dim
        self.settings = settings or current()
        self.sleep = sleep
        self._identity = {
            "provider": type(provider).__name__,
            "model": provider.model,
            "format": provider.format_version,
            **provider.identity(),
        }
        self._fingerprint = "api:" + json.dumps(self._identity, sort_keys=True)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def store(self) -> ApiStore:
        return store_at(self.settings.cache_dir)

    # -- the Encoder methods -------------------------------------------------------
    def encode_texts(
        self, texts: Sequence[str], *, prompt_type: str | None = None, context: Any = None
    ) -> np.ndarray:
        return self.embed([(t,) for t in texts], "text", _side(prompt_type, context))

    def encode_images(
        self, images: Sequence[Any], *, prompt_type: str | None = None, context: Any = None
    ) -> np.ndarray:
        return self.embed([(image,) for image in images], "image", _side(prompt_type, context))

    def encode_fused(
        self,
        images: Sequence[Any],
        texts: Sequence[str],
        *,
        prompt_type: str | None = None,
        context: Any = None,
    ) -> np.ndarray:
        if len(images) != len(texts):
            raise ValueError(f"{len(images)} images but {len(texts)} texts for fused inputs")
        side = _side(prompt_type, context)
        if self.provider.fuses_by_sum:
            return self.embed([(t,) for t in texts], "text", side) + self.embed(
                [(image,) for image in images], "image", side
            )
        items = [(text, image) for image, text in zip(images, texts, strict=True)]
        return self.embed(items, "image+text", side)

    def context_key(self, context: Any) -> str:
        """What of a task context changes the requests: the input types of its side."""
        side = getattr(context, "side", None)
        kinds = sorted(MODALITIES)
        return ",".join(str(self.provider.input_type(kind, side)) for kind in kinds)

    # -- the work ------------------------------------------------------------------
    def embed(self, items: list[Item], kind: str, side: str | None) -> np.ndarray:
        """(len(items), embed_dim) float32, from the API cache or the API."""
        out = np.empty((len(items), self.embed_dim), dtype=np.float32)
        if not items:
            return out
        input_type = self.provider.input_type(kind, side)
        keys = [self._key(item, input_type) for item in items]
        found = self.store.get_many(keys)
        tally = usage.of(self.name)
        first: dict[str, int] = {}  # key -> first row that needs it, for the missing ones
        for row, key in enumerate(keys):
            if key in found:
                tally.cached += 1
            else:
                first.setdefault(key, row)
        if first:
            for batch_keys, vectors in self._fetch(items, first, kind, input_type):
                for key, vector in zip(batch_keys, vectors, strict=True):
                    found[key] = (self.embed_dim, vector)
        for row, key in enumerate(keys):
            dim, blob = found[key]
            if dim != self.embed_dim:
                raise ApiRequestError(
                    f"cached embedding of {self.name} has dimension {dim}, expected "
                    f"{self.embed_dim}; delete {self.store.path} or use another cache"
                )
            out[row] = np.frombuffer(blob, dtype="<f4")
        return out

    def _key(self, item: Item, input_type: str | None) -> str:
        segments = [
            "t:" + hashlib.sha256(s.encode("utf-8")).hexdigest()
            if isinstance(s, str)
            else "i:" + pixel_digest(s)
            for s in item
        ]
        payload = [self._identity, input_type, segments]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def _fetch(
        self, items: list[Item], first: dict[str, int], kind: str, input_type: str | None
    ) -> Iterator[tuple[list[str], list[bytes]]]:
        """Send the missing inputs in packed requests; yields (keys, float32 bytes) each."""
        limits = self.provider.limits(kind)
        batch: list[tuple[str, Prepared]] = []
        tokens = size = 0
        for key, prepared in self._prepared(items, first, kind):
            full = batch and (
                len(batch) >= limits.max_items
                or (limits.max_tokens is not None and tokens + prepared.tokens > limits.max_tokens)
                or size + prepared.size > limits.max_bytes
            )
            if full:
                yield self._send(batch, kind, input_type)
                batch, tokens, size = [], 0, 0
            batch.append((key, prepared))
            tokens += prepared.tokens
            size += prepared.size
        if batch:
            yield self._send(batch, kind, input_type)

    def _prepared(
        self, items: list[Item], first: dict[str, int], kind: str
    ) -> Iterator[tuple[str, Prepared]]:
        """(key, prepared input) in order; inputs with images are prepared on threads."""
        pending = list(first.items())
        with_images = any(not isinstance(s, str) for _, row in pending for s in items[row])
        if not with_images:
            for key, row in pending:
                yield key, self.provider.prepare(items[row], kind)
            return
        workers = max(1, min(8, (os.cpu_count() or 2) - 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for start in range(0, len(pending), PREPARE_CHUNK):
                chunk = pending[start : start + PREPARE_CHUNK]
                done = pool.map(lambda row: self.provider.prepare(items[row], kind),
                                [row for _, row in chunk])  # fmt: skip
                yield from zip([key for key, _ in chunk], done, strict=True)

    def _send(
        self, batch: list[tuple[str, Prepared]], kind: str, input_type: str | None
    ) -> tuple[list[str], list[bytes]]:
        url, body, headers = self.provider.request([p.payload for _, p in batch], kind, input_type)
        tally = usage.of(self.name)
        parsed = self.provider.parse(self._transport(tally).post(url, body, headers), len(batch))
        if len(parsed.vectors) != len(batch):
            raise ApiRequestError(
                f"{self.provider.title} API returned {len(parsed.vectors)} embeddings for "
                f"{len(batch)} inputs of {self.name}"
            )
        blobs = []
        for vector in parsed.vectors:
            arr = np.asarray(vector, dtype="<f4").reshape(-1)
            if arr.size != self.embed_dim:
                raise ApiRequestError(
                    f"{self.provider.title} API returned dimension {arr.size} for {self.name}, "
                    f"expected {self.embed_dim}"
                )
            blobs.append(arr.tobytes())
        keys = [key for key, _ in batch]
        rows = [(key, self.embed_dim, blob) for key, blob in zip(keys, blobs, strict=True)]
        self.store.put_many(rows)
        tally.inputs += len(batch)
        tally.images += sum(p.images for _, p in batch)
        tally.tokens += parsed.tokens
        return keys, blobs

    def _transport(self, tally: usage.ModelUsage) -> Transport:
        settings = self.settings

        def before_send() -> None:
            shared = None
            if settings.run_id is not None:
                run_id = settings.run_id
                shared = lambda most: self.store.take_budget(run_id, most)  # noqa: E731
            usage.charge(settings.max_requests, shared)
            tally.requests += 1

        def on_retry() -> None:
            tally.retries += 1

        key_hint = " or ".join(self.provider.key_variables)
        return Transport(self.provider.title, self.provider.model, key_hint,
                         before_send=before_send, on_retry=on_retry, sleep=self.sleep)  # fmt: skip


def _side(prompt_type: Any, context: Any) -> str | None:
    """The retrieval side: the context's when one is given, else the prompt type's."""
    side = getattr(context, "side", None) if context is not None else prompt_type
    side = getattr(side, "value", side)  # an enum's value
    return side if side in ("query", "document") else None
