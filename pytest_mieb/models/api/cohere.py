"""Cohere embed v3 / v4 (``cohere/embed-english-v3.0``, ``Cohere/Cohere-embed-v4.0``, ...).

What mteb 2.26's `cohere_v_loader` sends (cohere SDK 5.14, ``POST {base}/v2/embed``,
``Authorization: Bearer <key>``) and where this module departs from it, on purpose:

* **texts**, as mteb: ``{"texts": [...], "model": "embed-english-v3.0", "input_type": ...,
  "embedding_types": ["float"]}``; texts verbatim, no ``truncate`` (the API's default),
  ``output_dimension`` only when asked for (``?dimensions=N``, v4); at most 96 texts and an
  estimated 128,000 tokens per request (mteb's limits; mteb counts tokens with one
  ``/v1/tokenize`` call per text, we estimate one token per UTF-8 byte, capped at the model's
  context: no request is spent on counting).
* **input_type, as mteb**: ``search_document`` for every text call, queries included (what
  the published scores were computed with), although Cohere documents ``search_query`` for
  queries. ``api:cohere/MODEL?query_input_type=search_query`` (or the constructor's keyword) sends
  the documented value on the query side of retrieval; its scores are not comparable with the
  published ones.
* **images: mteb crashes, so there is nothing to match.** mteb 2.26 reads ``batch["images"]``
  where its dataloaders carry ``"image"``: every image or image+text call raises
  ``KeyError: 'images'`` before any request. We follow what its code meant and what Cohere
  documents: images as JPEG data URLs (PIL's default quality, as mteb's code meant; RGB);
  v3 models: ``{"images": [url], "input_type": "image", ...}``, one image per request (the v3
  limit), an image above 5 MB scaled down by 3/4 steps until it fits; image+text inputs of v3
  models = text embedding + image embedding (the unnormalised sum mteb's code meant);
  embed-v4.0: ``{"inputs": [{"content": [{"type": "text", ...}, {"type": "image_url",
  "image_url": {"url": ...}}]}], "input_type": <the side's>}``, up to 96 inputs per request,
  an image+text input embedded as one interleaved input (v4's documented form).
* answers: ``embeddings.float`` (or ``int8`` / ``uint8`` cast to float; ``binary`` unpacked
  least significant bit first to +-1, as mteb); not normalised; ``billed_units.input_tokens``
  counted.

Key: ``CO_API_KEY`` (the SDK's variable) or ``COHERE_API_KEY`` (mteb's). Base URL:
``CO_API_URL`` (the SDK's variable), default https://api.cohere.com.
"""

from __future__ import annotations

from typing import Any

from pytest_mieb.models.api.images import data_url, jpeg_within
from pytest_mieb.models.api.provider import (
    MIB,
    Item,
    Limits,
    Parsed,
    Prepared,
    Provider,
    text_size,
)

MAX_INPUTS = 96
MAX_TOKENS = 128_000
V3_IMAGE_BYTES = 5_000_000
V3_TEXT_TOKENS = 512  # v3 models truncate each text to 512 tokens
#: embed-v4.0 counts an image as tokens: about 1,610 for 512 x 512 (163 pixels a token), and
#: downsamples images above 2,458,624 pixels.
V4_PIXELS_PER_TOKEN = 160
V4_MAX_PIXELS = 2_458_624


class CohereEmbed(Provider):
    title = "Cohere"
    key_variables = ("CO_API_KEY", "COHERE_API_KEY")
    base_url_variable = "CO_API_URL"

    def __init__(
        self, ref: Any, key: str, base_url: str | None = None, *,
        query_input_type: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(ref, key, base_url)
        self.v3 = not self.model.startswith("embed-v4")
        self.fuses_by_sum = self.v3
        self.query_input_type = (
            query_input_type or ref.option("query_input_type") or "search_document"
        )
        self.output_dtype = ref.option("output_dtype") or "float"

    def default_base_url(self) -> str:
        return "https://api.cohere.com"

    def identity(self) -> dict[str, Any]:
        return {
            **super().identity(),
            "output_dtype": self.output_dtype,
            "query_input_type": self.query_input_type,
        }

    def input_type(self, kind: str, side: str | None) -> str:
        if kind != "text" and self.v3:
            return "image"
        return self.query_input_type if side == "query" else "search_document"

    def limits(self, kind: str) -> Limits:
        if kind != "text" and self.v3:
            return Limits(max_items=1, max_bytes=8 * MIB)
        return Limits(max_items=MAX_INPUTS, max_tokens=MAX_TOKENS)

    def prepare(self, item: Item, kind: str) -> Prepared:
        if kind == "text":
            (text,) = item
            tokens = len(text.encode("utf-8"))
            return Prepared(text, min(tokens, V3_TEXT_TOKENS if self.v3 else MAX_TOKENS),
                            text_size(text))  # fmt: skip
        content: list[dict[str, Any]] = []
        tokens = size = images = 0
        for segment in item:
            if isinstance(segment, str):
                content.append({"type": "text", "text": segment})
                tokens += len(segment.encode("utf-8"))
                size += text_size(segment)
            else:
                url = data_url(jpeg_within(segment, V3_IMAGE_BYTES), "image/jpeg")
                content.append({"type": "image_url", "image_url": {"url": url}})
                pixels = min(segment.width * segment.height, V4_MAX_PIXELS)
                tokens += -(-pixels // V4_PIXELS_PER_TOKEN)
                size += len(url) + 64
                images += 1
        if self.v3:  # one image alone, sent in "images"
            return Prepared(content[0]["image_url"]["url"], 0, size, images)
        return Prepared({"content": content}, min(tokens, MAX_TOKENS), size, images)

    def request(
        self, payloads: list[Any], kind: str, input_type: str | None
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        if kind == "text":
            body: dict[str, Any] = {"texts": payloads, "model": self.model}
            body.update(input_type=input_type, embedding_types=[self.output_dtype])
        elif self.v3:
            body = {"model": self.model, "input_type": input_type,
                    "embedding_types": [self.output_dtype], "images": payloads}  # fmt: skip
        else:
            body = {"inputs": payloads, "model": self.model, "input_type": input_type,
                    "embedding_types": [self.output_dtype]}  # fmt: skip
        if self.ref.dimensions is not None:
            body["output_dimension"] = self.ref.dimensions
        headers = {"Authorization": f"Bearer {self.key}", "Accept": "application/json"}
        return f"{self.base_url}/v2/embed", body, headers

    def parse(self, answer: Any, n: int) -> Parsed:
        raw = (answer.get("embeddings") or {}).get(self.output_dtype) or []
        if self.output_dtype == "binary":
            vectors = [unpack_binary(v) for v in raw]
        else:
            vectors = [[float(x) for x in v] for v in raw]
        billed = (answer.get("meta") or {}).get("billed_units") or {}
        return Parsed(vectors, int(billed.get("input_tokens") or 0))


def unpack_binary(packed: list[int]) -> list[float]:
    """Cohere's signed binary embedding (int8 per 8 dimensions) -> +-1 floats, least
    significant bit first, as mteb unpacks it."""
    out = []
    for value in packed:
        byte = int(value) & 0xFF
        out.extend(1.0 if (byte >> bit) & 1 else -1.0 for bit in range(8))
    return out
