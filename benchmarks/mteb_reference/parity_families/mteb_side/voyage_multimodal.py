"""voyage-multimodal-3 through mteb 2.26's `voyage_v_loader`, against the fake Voyage API.

Registered as `mongodb/voyage-multimodal-3` (the published `voyageai/voyage-multimodal-3`
resolves to it). The voyageai SDK (0.5) has no base-URL environment variable: the base URL is
chosen from the key (`get_default_base_url`), so this check replaces that function in
`voyageai._base` for the duration (the SDK's own hook, mteb untouched). Before the first
request the fake answers 429 (Retry-After: 1) and then 503; mteb's tenacity retry (6 attempts,
exponential wait 1, 2, ... s) must get past both. See `_fake_api.py` for the outputs and
/work/notes/family-api-voyage.md for the request format.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.mteb_side import _fake_api

CHECKPOINT = "fakeapi"
MODEL = "mongodb/voyage-multimodal-3"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    import voyageai._base

    out = {}
    original = voyageai._base.get_default_base_url
    with _fake_api.fake_server(checkpoint) as api, _fake_api.environment(VOYAGE_API_KEY="pa-x"):
        voyageai._base.get_default_base_url = lambda key: api.url + "/v1"
        try:
            wrapper = _fake_api.load(MODEL)
        finally:
            voyageai._base.get_default_base_url = original
        api.fail_next(429, retry_after=1)
        api.fail_next(503)
        for key, *_ in _fake_api.CALLS:
            out[key] = _fake_api.encode_call(wrapper, key)
        _fake_api.check_recovered(api, [429, 503], "/multimodalembeddings")
    return out
