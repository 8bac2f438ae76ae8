"""mteb's side of the API families: its own wrappers, pointed at the loopback fake server.

Every family module here starts `fakeapis.FakeAPIServer` with the seed of the `fakeapi`
"checkpoint", points mteb's wrapper at it (environment variables, or the SDK's base-URL hook
where the SDK has no variable), plans a few failures before the first request (rate limit with
Retry-After, 5xx) and checks in the server's log that mteb's retry logic got past them, then
encodes the probes for these calls (key: modality / side):

    text/query      probe texts, query side of a t2i DocumentUnderstanding task
    image/document  probe images, document side of the same task
    fused/query     (image k, text k) pairs, query side of an it2i Any2AnyRetrieval task
    text/none       probe texts, ZeroShotClassification (no side: prompt_type None)
    image/none      probe images, ImageClassification (no side)

Each value is the `(n, dim)` array mteb's wrapper returned. The fake's vectors are a hash of the
request content (segments in order, decoded image pixels, model, input type, dimension), so the
pytest-mieb client, run against the same fake, returns the same arrays iff it sent the same
things.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from parity_families.mteb_side._probe_loaders import dataset, encode

T2I_TASK = "VidoreDocVQARetrieval"
IT2I_TASK = "CIRRIT2IRetrieval"
#: (output key, input kind, task, side)
CALLS: list[tuple[str, str, str, str | None]] = [
    ("text/query", "text", T2I_TASK, "query"),
    ("image/document", "image", T2I_TASK, "document"),
    ("fused/query", "fused", IT2I_TASK, "query"),
    ("text/none", "text", "CIFAR10ZeroShot", None),
    ("image/none", "image", "CIFAR10", None),
]


@contextmanager
def fake_server(checkpoint: Path) -> Iterator:
    """The fake API server, seeded from the `fakeapi` checkpoint, running on loopback."""
    from fakeapis import FakeAPIServer

    seed = json.loads((Path(checkpoint) / "fakeapi.json").read_text(encoding="utf-8"))["seed"]
    with FakeAPIServer(seed=seed) as api:
        yield api


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the block, then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def load(model_name: str):
    """mteb's wrapper for a registered API model, built as `ModelMeta.load_model` builds it
    (`loader(name, revision=..., **loader_kwargs)`, then `mteb_model_meta` set) but without its
    extras check: Gemini's meta also demands the audio/video extras (torchaudio, torchcodec),
    which images and texts never touch and which are not installed here."""
    import mteb

    meta = mteb.get_model_meta(model_name)
    wrapper = meta.loader(meta.name, revision=meta.revision, **meta.loader_kwargs)
    wrapper.mteb_model_meta = meta
    return wrapper


def probe_data(kind: str):
    from parity_families import probes

    texts, images = probes.TEXTS, probes.images()
    return dataset(
        texts=texts if kind in ("text", "fused") else None,
        images=images if kind in ("image", "fused") else None,
    )


def encode_call(wrapper, key: str) -> np.ndarray:
    """One of `CALLS` through `wrapper`, as a float64 array."""
    from mteb.types import PromptType

    _, kind, task, side = next(c for c in CALLS if c[0] == key)
    prompt_type = {"query": PromptType.query, "document": PromptType.document, None: None}[side]
    out = encode(wrapper, probe_data(kind), task, prompt_type)
    return np.asarray(out, dtype=np.float64)


def check_recovered(api, planned: list[int], path: str) -> None:
    """The first answers on `path` were the `planned` failures, and a success followed."""
    statuses = [r.status for r in api.requests if path in r.path]
    if statuses[: len(planned)] != planned or 200 not in statuses[len(planned) :]:
        raise RuntimeError(f"mteb's retries did not get past {planned}: answers were {statuses}")
