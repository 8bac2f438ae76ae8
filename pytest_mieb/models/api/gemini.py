"""Gemini Embedding 2 (``google/gemini-embedding-2``), the third image-capable API mteb registers.

mteb 2.26's `GoogleGeminiEmbeddingModel` calls ``client.aio.models.embed_content`` of
google-genai (3.x) once per input; the SDK posts each as a batch of one. We send the same
per-input request, packed up to 100 into one ``batchEmbedContents`` call (each entry is
embedded on its own, so the vectors are those of single calls):

    POST {base}/v1/models/gemini-embedding-2:batchEmbedContents     x-goog-api-key: <key>
    {"requests": [{"model": "models/gemini-embedding-2",
                   "content": {"role": "user", "parts": [part, ...]},
                   "outputDimensionality": 3072}, ...]}

* parts in order text, image: ``{"text": t}`` raw (mteb adds its "task: ... | query: ..."
  formatting only for tasks whose modalities are exactly text, which no MIEB task is; no
  ``taskType`` or ``title`` is sent, so the request is the same for every side);
  ``{"inline_data": {"mime_type": "image/png", "data": <URL-safe base64>}}``: PNG in the
  image's own mode, as the SDK encodes an in-memory PIL image;
* ``outputDimensionality`` always sent (3072 unless ``?dimensions=N``), as mteb;
* answer ``embeddings[i].values``, not normalised (mteb: float64 of the same floats).

Images reach API encoders the way pytest-mieb's data layer gives every model its images:
converted to RGB. mteb hands Gemini the dataset's own mode, so for datasets whose images are
not RGB (grey, palette, with alpha) the PNG differs (alpha dropped, grey expanded); given the
same image object, the request is byte for byte mteb's.

Key: ``GOOGLE_API_KEY``, else ``GEMINI_API_KEY`` (google-genai's order). Base URL:
``GOOGLE_GEMINI_BASE_URL`` (google-genai's variable), default
https://generativelanguage.googleapis.com; API version v1 (google-genai 3.x's default).
Limits: 100 entries per batch call (Google's documented batch limit), our own 20 MiB body.
"""

from __future__ import annotations

import base64
from typing import Any

from pytest_mieb.models.api.images import png_own_mode
from pytest_mieb.models.api.provider import Item, Limits, Parsed, Prepared, Provider, text_size

API_VERSION = "v1"
LIMITS = Limits(max_items=100)


class GeminiEmbedding(Provider):
    title = "Gemini"
    key_variables = ("GOOGLE_API_KEY", "GEMINI_API_KEY")
    base_url_variable = "GOOGLE_GEMINI_BASE_URL"

    def default_base_url(self) -> str:
        return "https://generativelanguage.googleapis.com"

    def input_type(self, kind: str, side: str | None) -> None:
        return None

    def limits(self, kind: str) -> Limits:
        return LIMITS

    def prepare(self, item: Item, kind: str) -> Prepared:
        parts: list[dict[str, Any]] = []
        size = images = 0
        for segment in item:
            if isinstance(segment, str):
                parts.append({"text": segment})
                size += text_size(segment)
            else:
                data = base64.urlsafe_b64encode(png_own_mode(segment)).decode("ascii")
                parts.append({"inline_data": {"mime_type": "image/png", "data": data}})
                size += len(data) + 64
                images += 1
        entry = {
            "model": f"models/{self.model}",
            "content": {"role": "user", "parts": parts},
            "outputDimensionality": self.dim,
        }
        return Prepared(entry, 0, size + 128, images)

    def request(
        self, payloads: list[Any], kind: str, input_type: str | None
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        url = f"{self.base_url}/{API_VERSION}/models/{self.model}:batchEmbedContents"
        return url, {"requests": payloads}, {"x-goog-api-key": self.key}

    def parse(self, answer: Any, n: int) -> Parsed:
        vectors = [entry["values"] for entry in answer.get("embeddings") or []]
        meta = answer.get("usageMetadata") or {}
        tokens = meta.get("totalTokenCount") or meta.get("promptTokenCount") or 0
        return Parsed(vectors, int(tokens))
