"""Voyage AI multimodal embeddings (``voyageai/voyage-multimodal-3``), as mteb 2.26 sends them.

mteb's `voyage_v_loader` calls ``voyageai.Client().multimodal_embed`` (SDK 0.5); this module
sends the same request without the SDK:

    POST {base}/multimodalembeddings            Authorization: Bearer $VOYAGE_API_KEY
    {"inputs": [{"content": [segment, ...]}, ...], "model": "voyage-multimodal-3",
     "input_type": "query" | "document", "truncation": true, "output_dtype": null,
     "output_dimension": null, "encoding_format": "base64"}

* segments: a text ``{"type": "text", "text": t}`` (verbatim: no instruction, no truncation
  here; the API truncates, ``truncation: true``); an image ``{"type": "image_base64",
  "image_base64": "data:image/webp;base64,..."}``: mteb's `_downsample_image` (above 16 million
  pixels the longest side becomes 4000; a side above 10,000 is clamped), then the SDK's
  ``convert("RGB")`` and lossless WEBP; image+text inputs are ``[text, image]`` (text first);
* ``input_type``: "query" on the query side of retrieval, "document" on the document side
  **and for every call without a side** (classification, clustering, zero-shot, STS), as mteb;
* answer: base64 little-endian float32 per input (1024-d), not normalised; usage
  ``total_tokens`` counted.

Base URL: ``VOYAGE_BASE_URL`` (ours: the SDK has no variable), else the SDK's choice from the
key (``al-...`` keys: https://ai.mongodb.com/v1; others https://api.voyageai.com/v1).
Limits per request (Voyage's documentation): 1,000 inputs, 320,000 tokens (560 image pixels
count as one token; a text is estimated at one token per UTF-8 byte, at most 32,000, the
model's context), and our own 20 MiB body bound. mteb sends one request per 32 inputs.
"""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

from pytest_mieb.models.api.images import data_url, voyage_downsample, webp_lossless_rgb
from pytest_mieb.models.api.provider import Item, Limits, Parsed, Prepared, Provider, text_size

PIXELS_PER_TOKEN = 560
CONTEXT_TOKENS = 32_000
LIMITS = Limits(max_items=1000, max_tokens=320_000)


class Voyage(Provider):
    title = "Voyage AI"
    key_variables = ("VOYAGE_API_KEY",)
    base_url_variable = "VOYAGE_BASE_URL"

    def default_base_url(self) -> str:
        if self.key.startswith("al-"):
            return "https://ai.mongodb.com/v1"
        return "https://api.voyageai.com/v1"

    def input_type(self, kind: str, side: str | None) -> str:
        return "query" if side == "query" else "document"

    def limits(self, kind: str) -> Limits:
        return LIMITS

    def prepare(self, item: Item, kind: str) -> Prepared:
        content: list[dict[str, str]] = []
        tokens = size = images = 0
        for segment in item:
            if isinstance(segment, str):
                content.append({"type": "text", "text": segment})
                tokens += min(len(segment.encode("utf-8")), CONTEXT_TOKENS)
                size += text_size(segment)
            else:
                image = voyage_downsample(segment)
                url = data_url(webp_lossless_rgb(image), "image/webp")
                content.append({"type": "image_base64", "image_base64": url})
                tokens += math.ceil(image.width * image.height / PIXELS_PER_TOKEN)
                size += len(url) + 48
                images += 1
        return Prepared(content, min(tokens, CONTEXT_TOKENS), size, images)

    def request(
        self, payloads: list[Any], kind: str, input_type: str | None
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        body = {
            "inputs": [{"content": content} for content in payloads],
            "model": self.model,
            "input_type": input_type,
            "truncation": True,
            "output_dtype": None,
            "output_dimension": self.ref.dimensions,
            "encoding_format": "base64",
        }
        return f"{self.base_url}/multimodalembeddings", body, _auth(self.key)

    def parse(self, answer: Any, n: int) -> Parsed:
        data = sorted(answer["data"], key=lambda d: d["index"])
        vectors = []
        for entry in data:
            embedding = entry["embedding"]
            if isinstance(embedding, str):
                raw = base64.b64decode(embedding)
                vectors.append(struct.unpack(f"<{len(raw) // 4}f", raw))
            else:
                vectors.append(embedding)
        tokens = int((answer.get("usage") or {}).get("total_tokens") or 0)
        return Parsed(vectors, tokens)


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
