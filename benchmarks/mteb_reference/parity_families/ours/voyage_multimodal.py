"""voyage-multimodal-3 through pytest-mieb's `api:voyage` encoder, against the fake Voyage API.

Loaded by the published id `voyageai/voyage-multimodal-3`, key from `VOYAGE_API_KEY`, base
URL from `VOYAGE_BASE_URL`. The fake answers 429 (Retry-After: 1), then 503, before the first
success, as on mteb's side. Equal vectors mean equal requests: the fake's vectors are a hash
of each input's segments (decoded image pixels), model, input type and dimension.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.ours import _fake_api

MODEL = "voyageai/voyage-multimodal-3"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from pytest_mieb.models.api import load_api_encoder

    env = {"VOYAGE_API_KEY": "pa-x", "VOYAGE_BASE_URL": "{url}/v1"}
    with _fake_api.api_session(checkpoint, **env) as api:
        encoder = load_api_encoder(MODEL)
        api.fail_next(429, retry_after=1)
        api.fail_next(503)
        out = {key: _fake_api.encode_call(encoder, key) for key, *_ in _fake_api.CALLS}
        _fake_api.check_recovered(api, [429, 503], "/multimodalembeddings")
    return out
