"""Gemini Embedding 2 through pytest-mieb's `api:gemini` encoder, against the fake Gemini API.

Loaded by mteb's id `google/gemini-embedding-2`, key from `GOOGLE_API_KEY`, base URL from
`GOOGLE_GEMINI_BASE_URL`. We pack up to 100 inputs into one `batchEmbedContents` call where
mteb sends one per call; each entry is the request mteb sends, and the fake (like the API)
embeds each entry on its own, so the vectors must be equal. The fake answers 429 (message
"Please retry in 0.2s.", Retry-After: 1) and 503 first, as on mteb's side.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.ours import _fake_api

MODEL = "google/gemini-embedding-2"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from pytest_mieb.models.api import load_api_encoder

    env = {"GOOGLE_API_KEY": "g-x", "GOOGLE_GEMINI_BASE_URL": "{url}"}
    with _fake_api.api_session(checkpoint, **env) as api:
        encoder = load_api_encoder(MODEL)
        api.fail_next(429, retry_after=0.2)
        api.fail_next(503)
        out = {key: _fake_api.encode_call(encoder, key) for key, *_ in _fake_api.CALLS}
        _fake_api.check_recovered(api, [429, 503], ":batchEmbedContents")
    return out
