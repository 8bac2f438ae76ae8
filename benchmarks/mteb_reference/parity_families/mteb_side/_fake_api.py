"""mteb's side of the API families: its own wrappers, pointed at the loopback fake server.

Every family module here starts `fakeapis.FakeAPIServer` with the seed of the `fakeapi`
"checkpoint", points mteb's wrapper at it (environment variables, or the SDK's base-URL hook
where the SDK has no variable), plans a few failures before the first request (rate limit with
Retry-After, 5xx) and checks in the server's log that mteb's retry logic got past them, then
encodes the probes for the calls of `_probe_loaders.CALLS` (text/query, image/document,
fused/query, text/none, image/none). Each value is the `(n, dim)` array mteb's wrapper
returned. The fake's vectors are a hash of the request content (segments in order, decoded
image pixels, model, input type, dimension), so the pytest-mieb client, run against the same
fake, returns the same arrays iff it sent the same things.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from parity_families.mteb_side._probe_loaders import CALLS, encode_call

__all__ = ["CALLS", "check_recovered", "encode_call", "environment", "fake_server", "load"]


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


def check_recovered(api, planned: list[int], path: str) -> None:
    """The first answers on `path` were the `planned` failures, and a success followed."""
    statuses = [r.status for r in api.requests if path in r.path]
    if statuses[: len(planned)] != planned or 200 not in statuses[len(planned) :]:
        raise RuntimeError(f"mteb's retries did not get past {planned}: answers were {statuses}")
