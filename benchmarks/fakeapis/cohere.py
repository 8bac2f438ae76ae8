"""Cohere: embed v2 (`POST /v2/embed`), `POST /v1/tokenize`, model info (`GET /v1/models/{m}`).

Request fields honoured: `model`, `input_type` (search_document, search_query,
classification, clustering, image), `embedding_types` (float, int8, uint8; the fake refuses
binary/ubinary), exactly one of `texts` (strings), `images` (data URLs) or `inputs`
(`[{"content": [{"type": "text", "text": ...}, {"type": "image_url", "image_url": {"url":
<data URL>}}]}]`, the embed-v4 interleaved form), `output_dimension` (embed-v4.0 only: 256,
512, 1024, 1536), `truncate`, `max_tokens`.

Answer: `{"id", "embeddings": {"float": [[...]], ...}, "texts": [...], "images": [{"width",
"height", "format", "bit_depth"}], "meta": {"api_version": {"version": "2"}, "billed_units":
{"input_tokens", "images"}}, "response_type": "embeddings_by_type"}`. Errors `{"message": ...}`;
the SDK maps 400 BadRequestError, 401 UnauthorizedError, 429 TooManyRequestsError,
500 InternalServerError, 503 ServiceUnavailableError.

Fake limits (Cohere's documented ones): at most 96 texts or inputs per call; the v3 models take
one image per call and require `input_type="image"` for images. `GET /v1/models/{m}` answers
404, so the SDK's offline tokenizer (which would download a tokenizer file named in the model
info) fails and it falls back to `POST /v1/tokenize`, which the fake answers with one token per
whitespace-separated word.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from fakeapis.server import ApiError, Provider, Reply, Request, Route
from fakeapis.vectors import canonical_key, decode_image, quantized, vector

#: model -> (default dimension, allowed output_dimension values)
MODELS: dict[str, tuple[int, tuple[int, ...]]] = {
    "embed-english-v3.0": (1024, ()),
    "embed-multilingual-v3.0": (1024, ()),
    "embed-english-light-v3.0": (384, ()),
    "embed-multilingual-light-v3.0": (384, ()),
    "embed-v4.0": (1536, (256, 512, 1024, 1536)),
}
INPUT_TYPES = ("search_document", "search_query", "classification", "clustering", "image")
EMBEDDING_TYPES = ("float", "int8", "uint8")
MAX_ITEMS = 96


def _image(url: Any, where: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(url, str) or not url.startswith("data:image/"):
        raise ApiError(400, f"{where}: images must be data URLs (data:image/...;base64,...)")
    try:
        image = decode_image(url)
    except Exception as exc:
        raise ApiError(400, f"{where}: undecodable image ({exc})") from exc
    meta = {"width": image.width, "height": image.height, "format": image.format.lower(),
            "bit_depth": 8}  # fmt: skip
    return image.key(), meta


def _items(body: dict[str, Any], model: str) -> tuple[list[list[str]], list[dict[str, Any]]]:
    """Segment keys per item, and image metadata, from whichever of texts/images/inputs."""
    given = [k for k in ("texts", "images", "inputs") if body.get(k) is not None]
    if len(given) != 1:
        raise ApiError(400, "exactly one of 'texts', 'images' or 'inputs' must be given")
    items, kind = body[given[0]], given[0]
    if not isinstance(items, list) or not items:
        raise ApiError(400, f"'{kind}' must be a non-empty list")
    v3 = model != "embed-v4.0"
    if len(items) > (1 if v3 and kind == "images" else MAX_ITEMS):
        raise ApiError(400, f"too many {kind} in one call for {model}")
    if kind == "texts":
        if not all(isinstance(t, str) for t in items):
            raise ApiError(400, "'texts' must be strings")
        return [["text:" + t] for t in items], []
    if kind == "images":
        if v3 and body.get("input_type") != "image":
            raise ApiError(400, "images require input_type 'image' for v3 models")
        pairs = [_image(url, f"images[{i}]") for i, url in enumerate(items)]
        return [[key] for key, _ in pairs], [meta for _, meta in pairs]
    keyed, metas = [], []
    for i, item in enumerate(items):
        content = item.get("content") if isinstance(item, dict) else None
        if not isinstance(content, list) or not content:
            raise ApiError(400, f"inputs[{i}].content must be a non-empty list")
        keys = []
        for seg in content:
            if seg.get("type") == "text":
                keys.append("text:" + seg.get("text", ""))
            elif seg.get("type") == "image_url":
                key, meta = _image((seg.get("image_url") or {}).get("url"), f"inputs[{i}]")
                keys.append(key)
                metas.append(meta)
            else:
                raise ApiError(400, f"inputs[{i}]: unsupported content type {seg.get('type')!r}")
        keyed.append(keys)
    return keyed, metas


def _embed(server: Any, match: re.Match[str], body: Any, request: Request) -> Reply:
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object")
    model = body.get("model")
    if model not in MODELS:
        raise ApiError(404, f"model '{model}' not found")
    if body.get("input_type") not in INPUT_TYPES:
        raise ApiError(400, f"input_type must be one of {', '.join(INPUT_TYPES)}")
    types = body.get("embedding_types") or ["float"]
    if any(t not in EMBEDDING_TYPES for t in types):
        raise ApiError(400, f"the fake answers embedding_types {EMBEDDING_TYPES} only")
    default_dim, allowed = MODELS[model]
    if body.get("output_dimension") is not None and body["output_dimension"] not in allowed:
        raise ApiError(400, f"output_dimension {body['output_dimension']} invalid for {model}")
    dim = body.get("output_dimension") or default_dim
    keyed, image_meta = _items(body, model)
    floats = [
        vector(canonical_key("cohere", model, keys, input_type=body["input_type"],
                             output_dimension=body.get("output_dimension")), dim, server.seed)
        for keys in keyed
    ]  # fmt: skip
    embeddings = {t: floats if t == "float" else [quantized(v, t) for v in floats] for t in types}
    words = sum(len(k[5:].split()) for keys in keyed for k in keys if k.startswith("text:"))
    answer = {
        "id": hashlib.sha256(repr(keyed).encode()).hexdigest()[:32],
        "embeddings": embeddings,
        "texts": list(body.get("texts") or []),
        "images": image_meta,
        "meta": {"api_version": {"version": "2"},
                 "billed_units": {"input_tokens": words, "images": len(image_meta)}},
        "response_type": "embeddings_by_type",
    }  # fmt: skip
    return Reply(200, answer)


def _tokenize(server: Any, match: re.Match[str], body: Any, request: Request) -> Reply:
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise ApiError(400, "'text' is required")
    words = body["text"].split()
    ids = [int(hashlib.sha256(w.encode()).hexdigest()[:6], 16) for w in words]
    return Reply(200, {"tokens": ids, "token_strings": words,
                       "meta": {"api_version": {"version": "1"}}})  # fmt: skip


def _model_info(server: Any, match: re.Match[str], body: Any, request: Request) -> Reply:
    raise ApiError(404, f"fake: no model info for {match.group(1)} (tokenize through the API)")


class Cohere(Provider):
    name = "cohere"
    routes = (
        Route("POST", re.compile(r"/v2/embed"), _embed),
        Route("POST", re.compile(r"/v1/tokenize"), _tokenize),
        Route("GET", re.compile(r"/v1/models/([^/]+)"), _model_info),
    )
