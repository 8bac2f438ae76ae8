"""Gemini API embeddings: `POST /v1beta/models/{m}:batchEmbedContents`, `:embedContent` (v1 too).

What google-genai (3.x) sends for `client.models.embed_content(model=..., contents=...)`:

    POST {base}/v1beta/models/gemini-embedding-2:batchEmbedContents
    x-goog-api-key: <key>
    {"requests": [{"model": "models/gemini-embedding-2",
                   "content": {"role": "user", "parts": [{"text": "..."},
                     {"inline_data": {"mime_type": "image/png", "data": "<URL-safe base64>"}}]},
                   "taskType": ..., "title": ..., "outputDimensionality": 3072}]}

Answer `{"embeddings": [{"values": [...]}]}` (`:embedContent`, body `{"content": ...}` plus
the same options: `{"embedding": {"values": [...]}}`). Errors are Google-shaped:
`{"error": {"code", "message", "status"}}`; a 429's message carries the "Please retry in Xs."
hint the real API gives (mteb's wrapper reads it). Fake limits: at most 100 requests per
batch; `fileData` parts are refused; the key may come as header or `?key=`.
"""

from __future__ import annotations

import re
from typing import Any

from fakeapis.server import ApiError, Provider, Reply, Request, Route
from fakeapis.vectors import canonical_key, decode_image, vector

#: model -> default (and largest) dimension
MODELS: dict[str, int] = {
    "gemini-embedding-2": 3072,
    "gemini-embedding-2-preview": 3072,
    "gemini-embedding-001": 3072,
    "text-embedding-004": 768,
}
MAX_BATCH = 100
STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND",
          429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}  # fmt: skip


def _mime(inline: dict[str, Any]) -> str:
    return str(inline.get("mimeType") or inline.get("mime_type") or "")


def _parts(content: Any, where: str) -> list[str]:
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list) or not parts:
        raise ApiError(400, f"{where}: content.parts must be a non-empty list")
    keys = []
    for k, part in enumerate(parts):
        inline = part.get("inlineData") or part.get("inline_data")
        if isinstance(part.get("text"), str):
            keys.append("text:" + part["text"])
        elif isinstance(inline, dict) and _mime(inline).startswith("image/"):
            try:
                keys.append(decode_image(inline["data"]).key())
            except Exception as exc:
                raise ApiError(400, f"{where}.parts[{k}]: undecodable image ({exc})") from exc
        else:
            raise ApiError(400, f"{where}.parts[{k}]: unsupported part in the fake")
    return keys


def _values(server: Any, model: str, request: dict[str, Any], where: str) -> list[float]:
    dim = request.get("outputDimensionality") or MODELS[model]
    if not 1 <= dim <= MODELS[model]:
        raise ApiError(400, f"{where}: outputDimensionality must be in 1..{MODELS[model]}")
    key = canonical_key("gemini", model, _parts(request.get("content"), where),
                        task_type=request.get("taskType"), title=request.get("title"),
                        output_dimensionality=request.get("outputDimensionality"))  # fmt: skip
    return vector(key, dim, server.seed)


def _model(match: re.Match[str]) -> str:
    model = match.group(1)
    if model not in MODELS:
        raise ApiError(404, f"models/{model} is not found for API version v1beta")
    return model


def _batch(server: Any, match: re.Match[str], body: Any, request: Request) -> Reply:
    model = _model(match)
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not 0 < len(requests) <= MAX_BATCH:
        raise ApiError(400, f"'requests' must hold 1..{MAX_BATCH} requests")
    out = []
    for i, item in enumerate(requests):
        if item.get("model") != f"models/{model}":
            raise ApiError(400, f"requests[{i}].model must be models/{model}")
        out.append({"values": _values(server, model, item, f"requests[{i}]")})
    return Reply(200, {"embeddings": out})


def _single(server: Any, match: re.Match[str], body: Any, request: Request) -> Reply:
    model = _model(match)
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object")
    return Reply(200, {"embedding": {"values": _values(server, model, body, "request")}})


class Gemini(Provider):
    name = "gemini"
    routes = (
        Route("POST", re.compile(r"/v1(?:beta)?/models/([^/:]+):batchEmbedContents"), _batch),
        Route("POST", re.compile(r"/v1(?:beta)?/models/([^/:]+):embedContent"), _single),
    )

    def authorized(self, request: Request) -> bool:
        return bool(request.headers.get("x-goog-api-key") or request.query.get("key"))

    def error(self, status: int, message: str, retry_after: float | None) -> Any:
        if status == 429 and retry_after is not None:
            message += f" Please retry in {retry_after:g}s."
        return {"error": {"code": status, "message": message,
                          "status": STATUS.get(status, "UNKNOWN")}}  # fmt: skip
