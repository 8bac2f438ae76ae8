"""Cohere embed (v3 / v4 "multimodal") through mteb 2.26's `cohere_v_loader`, against the fake.

Registered as `cohere/embed-english-v3.0`, `cohere/embed-multilingual-v3.0`,
`Cohere/Cohere-embed-v4.0` (+ int8 / binary variants). The cohere SDK (5.14) reads its base
URL from `CO_API_URL` when `cohere` is first imported (a default argument), so the variable is
set before the wrapper is built; if `cohere` was imported earlier, the check fails loudly
instead of reaching the internet (the SDK would have no key for it anyway). Before the first
request the fake answers 503; mteb's `retry_with_rate_limit` (5 attempts, 1 s, 2 s, ...) must
get past it (a planned 429 would cost 30 s: mteb waits at least that long on rate limits).

mteb 2.26's image path reads `batch["images"]` although its dataloaders carry `"image"`, so
every call with images raises `KeyError: 'images'` before any request; the text-only calls are
compared, for `embed-english-v3.0` and `embed-v4.0` (keys prefixed `v3/` and `v4/`). Should a
later mteb fix the image path, its image calls are compared too. See
/work/notes/family-api-cohere.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from parity_families.mteb_side import _fake_api

CHECKPOINT = "fakeapi"
MODELS = {"v3": "cohere/embed-english-v3.0", "v4": "Cohere/Cohere-embed-v4.0"}


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    out = {}
    with _fake_api.fake_server(checkpoint) as api:
        if "cohere" in sys.modules:
            raise RuntimeError("cohere was imported before CO_API_URL could point it at the fake")
        with _fake_api.environment(CO_API_URL=api.url, COHERE_API_KEY="co-x"):
            api.fail_next(503, path="/v2/embed")
            for prefix, name in MODELS.items():
                wrapper = _fake_api.load(name)
                for key, kind, *_ in _fake_api.CALLS:
                    try:
                        out[f"{prefix}/{key}"] = _fake_api.encode_call(wrapper, key)
                    except KeyError as exc:
                        if kind == "text" or exc.args != ("images",):
                            raise
        _fake_api.check_recovered(api, [503], "/v2/embed")
    return out
