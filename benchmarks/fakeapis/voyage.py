"""Voyage AI multimodal embeddings: `POST /v1/multimodalembeddings` (voyageai SDK 0.5 format).

Request (what `voyageai.Client.multimodal_embed` sends; pydantic `model_dump`, so unset fields
arrive as `null`):

    {"inputs": [{"content": [
        {"type": "text", "text": "..."},
        {"type": "image_base64", "image_base64": "data:image/webp;base64,..."}]}],
     "model": "voyage-multimodal-3", "input_type": "query" | "document" | null,
     "truncation": true, "output_dtype": null, "output_dimension": null,
     "encoding_format": "base64"}

Answer: `{"object": "list", "data": [{"object": "embedding", "embedding": <list or base64 of
little-endian float32>, "index": i}], "model": ..., "usage": {"text_tokens", "image_pixels",
"video_pixels", "total_tokens"}}`. Errors: `{"detail": message}`; 429 -> the SDK's
RateLimitError, 500 -> ServerError, 502/503/504 -> ServiceUnavailableError.

Fake limits (documented Voyage limits): at most 1,000 inputs per request, at most 16 million
pixels per image; `image_url` / video segments are refused (the fake fetches nothing). Usage:
text tokens = whitespace-separated words; total = text tokens + ceil(pixels / 560).
"""

from __future__ import annotations

import math
import re
from typing import Any

from fakeapis.server import ApiError, Provider, Reply, Request, Route
from fakeapis.vectors import canonical_key, decode_image, float32_base64, vector

#: model -> (default dimension, allowed output_dimension values)
MODELS: dict[str, tuple[int, tuple[int, ...]]] = {
    "voyage-multimodal-3": (1024, ()),
    "voyage-multimodal-3.5": (1024, (256, 512, 1024, 2048)),
}
MAX_INPUTS = 1000
MAX_IMAGE_PIXELS = 16_000_000
PIXELS_PER_TOKEN = 560


def _segments(content: Any, where: str) -> tuple[list[str], int, int]:
    """(segment keys, text tokens, image pixels) of one input's content list."""
    if not isinstance(content, list) or not content:
        raise ApiError(400, f"{where}: 'content' must be a non-empty list")
    keys, tokens, pixels = [], 0, 0
    for k, seg in enumerate(content):
        kind = seg.get("type") if isinstance(seg, dict) else None
        if kind == "text" and isinstance(seg.get("text"), str):
            keys.append("text:" + seg["text"])
            tokens += len(seg["text"].split())
        elif kind == "image_base64" and isinstance(seg.get("image_base64"), str):
            if not seg["image_base64"].startswith("data:image/"):
                raise ApiError(400, f"{where}.content[{k}]: image_base64 must be a data URL")
            try:
                image = decode_image(seg["image_base64"])
            except Exception as exc:
                raise ApiError(400, f"{where}.content[{k}]: undecodable image ({exc})") from exc
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ApiError(400, f"{where}.content[{k}]: image exceeds 16 million pixels")
            keys.append(image.key())
            pixels += image.width * image.height
        else:
            raise ApiError(400, f"{where}.content[{k}]: unsupported segment {kind!r} in the fake")
    return keys, tokens, pixels


def _embed(server: Any, match: re.Match[str], body: Any, request: Request) -> Reply:
    if not isinstance(body, dict):
        raise ApiError(400, "request body must be a JSON object")
    model = body.get("model")
    if model not in MODELS:
        raise ApiError(400, f"model {model!r} is not a multimodal model of the fake")
    default_dim, allowed = MODELS[model]
    dim = body.get("output_dimension") or default_dim
    if body.get("output_dimension") is not None and body["output_dimension"] not in allowed:
        raise ApiError(400, f"output_dimension {body['output_dimension']} not supported")
    if body.get("input_type") not in (None, "query", "document"):
        raise ApiError(400, "input_type must be null, 'query' or 'document'")
    if body.get("output_dtype") not in (None, "float"):
        raise ApiError(400, "the fake answers output_dtype float only")
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not 0 < len(inputs) <= MAX_INPUTS:
        raise ApiError(400, f"'inputs' must be a list of 1..{MAX_INPUTS} inputs")
    data, text_tokens, image_pixels, image_tokens = [], 0, 0, 0
    for i, item in enumerate(inputs):
        if not isinstance(item, dict):
            raise ApiError(400, f"inputs[{i}] must be an object with 'content'")
        keys, tokens, pixels = _segments(item.get("content"), f"inputs[{i}]")
        text_tokens, image_pixels = text_tokens + tokens, image_pixels + pixels
        image_tokens += math.ceil(pixels / PIXELS_PER_TOKEN)
        key = canonical_key("voyage", model, keys, input_type=body.get("input_type"),
                            output_dimension=body.get("output_dimension"))  # fmt: skip
        values = vector(key, dim, server.seed)
        embedding = float32_base64(values) if body.get("encoding_format") == "base64" else values
        data.append({"object": "embedding", "embedding": embedding, "index": i})
    usage = {"text_tokens": text_tokens, "image_pixels": image_pixels, "video_pixels": 0,
             "total_tokens": text_tokens + image_tokens}  # fmt: skip
    return Reply(200, {"object": "list", "data": data, "model": model, "usage": usage})


class Voyage(Provider):
    name = "voyage"
    routes = (Route("POST", re.compile(r"/v1/multimodalembeddings"), _embed),)

    def error(self, status: int, message: str, retry_after: float | None) -> Any:
        return {"detail": message}
