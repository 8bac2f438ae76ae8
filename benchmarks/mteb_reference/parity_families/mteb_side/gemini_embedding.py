"""Gemini Embedding 2 through mteb 2.26's `GoogleGeminiEmbeddingModel`, against the fake.

Registered as `google/gemini-embedding-2` (and `-preview`), `embed_dim=3072`. google-genai
reads the key from `GOOGLE_API_KEY` and the base URL from `GOOGLE_GEMINI_BASE_URL`; with a
custom base URL it posts to `{base}/v1/models/gemini-embedding-2:batchEmbedContents`, one item
per request, up to 32 concurrent (mteb's asyncio semaphore). Before the first request the fake
answers 429 (message "Please retry in 0.2s.") and 503; mteb's own retry (10 attempts, the
hint or 2**attempt s, plus jitter) must get past them. See /work/notes/family-api-gemini.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.mteb_side import _fake_api

CHECKPOINT = "fakeapi"
MODEL = "google/gemini-embedding-2"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    out = {}
    with _fake_api.fake_server(checkpoint) as api:
        env = {"GOOGLE_API_KEY": "g-x", "GOOGLE_GEMINI_BASE_URL": api.url}
        with _fake_api.environment(**env):
            wrapper = _fake_api.load(MODEL)
            api.fail_next(429, retry_after=0.2)
            api.fail_next(503)
            for key, *_ in _fake_api.CALLS:
                out[key] = _fake_api.encode_call(wrapper, key)
        _fake_api.check_recovered(api, [429, 503], ":batchEmbedContents")
    return out
