"""Cohere embed v3 / v4 through pytest-mieb's `api:cohere` encoder, against the fake Cohere API.

Text calls only, because mteb 2.26's Cohere wrapper crashes on every image and image+text call
(`KeyError: 'images'`, before any request: see `mteb_side/cohere_embed.py`), so there is no
mteb vector to compare ours with; our image requests follow Cohere's documentation and are
tested against the fake in `tests/models/api/`.

Queries go as `search_document`, as mteb sends every call (our default), so an ok line
shows that the whole request (texts, model, input type, embedding types, no truncate /
dimension) is mteb's. Keys `v3/...` (embed-english-v3.0)
and `v4/...` (embed-v4.0). The fake answers 503 first, as on mteb's side.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.ours import _fake_api

MODELS = {"v3": "cohere/embed-english-v3.0", "v4": "Cohere/Cohere-embed-v4.0"}


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from pytest_mieb.models.api import registered_id
    from pytest_mieb.models.api.cohere import CohereEmbed
    from pytest_mieb.models.api.encoder import ApiEncoder

    out = {}
    env = {"CO_API_KEY": "co-x", "CO_API_URL": "{url}"}
    with _fake_api.api_session(checkpoint, **env) as api:
        api.fail_next(503, path="/v2/embed")
        for prefix, name in MODELS.items():
            ref = registered_id(name)
            provider = CohereEmbed(ref, "co-x", api.url)
            encoder = ApiEncoder(provider)
            for key, kind, *_ in _fake_api.CALLS:
                if kind == "text":
                    out[f"{prefix}/{key}"] = _fake_api.encode_call(encoder, key)
        _fake_api.check_recovered(api, [503], "/v2/embed")
    return out
