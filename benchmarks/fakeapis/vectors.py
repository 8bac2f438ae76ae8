"""Deterministic fake embeddings: a unit vector derived from a hash of what was sent.

The fake servers never compute anything model-like. An input is reduced to a canonical key:
its segments in order (a text segment is its exact string; an image segment is its format,
mode, size and the SHA-256 of its decoded pixels, so two encodings of the same pixels agree
and a resized or recompressed image does not) plus the fields that change a real API's answer
(provider, model, input type / task type, output dimension). The vector is a pure-Python
function of that key and a seed, so a test can recompute what the server must have returned
(`expected_vector`) and both venvs (mteb's, the project's) get bit-identical floats.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import struct
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ImageKey:
    """What the fake keeps of an uploaded image."""

    format: str  # as PIL reads it: "WEBP", "JPEG", "PNG", ...
    mode: str
    width: int
    height: int
    pixels_sha256: str

    def key(self) -> str:
        return f"image:{self.format}:{self.mode}:{self.width}x{self.height}:{self.pixels_sha256}"


def decode_image(data: str | bytes) -> ImageKey:
    """A data URL (`data:image/...;base64,...`), bare base64 (standard or URL-safe alphabet,
    as google-genai sends bytes), or raw bytes -> `ImageKey`."""
    from PIL import Image

    if isinstance(data, str):
        payload = data.split(",", 1)[1] if data.startswith("data:") else data
        payload = payload.translate(str.maketrans("-_", "+/"))
        raw = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
    else:
        raw = data
    with Image.open(io.BytesIO(raw)) as img:
        img.load()
        digest = hashlib.sha256(img.tobytes()).hexdigest()
        return ImageKey(img.format or "?", img.mode, img.width, img.height, digest)


def pil_image_key(image: Any, format: str) -> str:
    """The key the server derives for `image` sent losslessly in `format` (e.g. "WEBP")."""
    digest = hashlib.sha256(image.tobytes()).hexdigest()
    return ImageKey(format, image.mode, image.width, image.height, digest).key()


def canonical_key(provider: str, model: str, segments: list[str], **fields: Any) -> str:
    """The string a fake vector is derived from (stable JSON, `None` fields dropped)."""
    body = {"provider": provider, "model": model, "segments": segments}
    body.update({k: v for k, v in sorted(fields.items()) if v is not None})
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def vector(key: str, dim: int, seed: int = 0) -> list[float]:
    """A unit vector of `dim` floats (exactly representable in float32) from `key` and `seed`."""
    stream = hashlib.shake_256(f"{seed}\x00{key}".encode()).digest(4 * dim)
    raw = [(u / 4294967295.0) * 2.0 - 1.0 for u in struct.unpack(f"<{dim}I", stream)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [struct.unpack("<f", struct.pack("<f", x / norm))[0] for x in raw]


def expected_vector(
    provider: str, model: str, segments: list[str], dim: int, seed: int = 0, **fields: Any
) -> list[float]:
    """What the fake server returns for this input (for tests that check what was sent)."""
    return vector(canonical_key(provider, model, segments, **fields), dim, seed)


def float32_base64(values: list[float]) -> str:
    """Little-endian float32 bytes, base64 (Voyage's `encoding_format: "base64"`)."""
    return base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode("ascii")


def quantized(values: list[float], kind: str) -> list[int]:
    """The fake's int8 / uint8 view of a vector: scaled by 127 / max|v|, rounded."""
    scale = 127.0 / (max(abs(v) for v in values) or 1.0)
    ints = [max(-128, min(127, round(v * scale))) for v in values]
    return [i + 128 for i in ints] if kind == "uint8" else ints
