"""API models: embeddings from Voyage AI, Cohere and Gemini over HTTP, cached on disk.

* `catalog`: the models and their ids (data; read at collection time).
* `encoder`: `ApiEncoder`, the `Encoder` that asks an API (cache, batching, budget, usage).
* `provider` and one module per API: `voyage`, `cohere`, `gemini` (what each request holds,
  as mteb 2.26's wrappers send it, and where we depart from a broken one: `cohere`).
* `transport`: one JSON POST with retries and backoff; `store`: the on-disk API cache;
  `usage`: requests, inputs, images, tokens and the request budget; `settings`: cache
  directory and budget for the session; `images`: image payloads; `errors`.

Importing this package is cheap (standard library only); numpy and PIL come with a load.
"""

from __future__ import annotations

from typing import Any

from pytest_mieb.models.api.catalog import ApiIdError, ApiModelId, parse_api_id, registered_id

__all__ = ["ApiIdError", "ApiModelId", "load_api_encoder", "parse_api_id", "registered_id"]


def provider_class(provider: str) -> Any:
    if provider == "voyage":
        from pytest_mieb.models.api.voyage import Voyage

        return Voyage
    if provider == "cohere":
        from pytest_mieb.models.api.cohere import CohereEmbed

        return CohereEmbed
    from pytest_mieb.models.api.gemini import GeminiEmbedding

    return GeminiEmbedding


def load_api_encoder(api_id: str) -> Any:
    """The `ApiEncoder` of an ``api:`` id or a registered id; `ModelLoadError` (one line)
    for an unknown id or a missing key. Nothing is sent until something is encoded."""
    from pytest_mieb.models.api.encoder import ApiEncoder
    from pytest_mieb.models.errors import ModelLoadError

    try:
        ref = registered_id(api_id) or parse_api_id(api_id)
    except ApiIdError as exc:
        raise ModelLoadError(f"API model id {api_id!r}: {exc}") from None
    return ApiEncoder(provider_class(ref.provider).from_environment(ref))
