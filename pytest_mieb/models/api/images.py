"""Images as the APIs receive them: identity digests, resizing, encoded payloads.

Each provider's encoding follows what mteb 2.26's wrapper sends through the vendor's SDK
(see the provider modules): Voyage lossless WEBP of the RGB image, Gemini PNG in the image's
own mode, Cohere JPEG (PIL's default quality). The digest that keys the API cache is of the
pixels as handed to the encoder (mode, size, palette, raw bytes), so it is computed without
encoding anything, and an image that is already cached is never encoded.
"""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

#: Voyage: mteb's `_downsample_image` bounds.
VOYAGE_MAX_PIXELS = 16_000_000
VOYAGE_TARGET_LONGEST_SIDE = 4000
VOYAGE_MAX_SIDE = 10_000
#: Modes PNG stores as they are; others are converted first (RGBA if they carry alpha).
PNG_MODES = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})


def pixel_digest(image: Any) -> str:
    """SHA-256 of an image's mode, size, palette and pixels."""
    digest = hashlib.sha256(f"{image.mode}|{image.width}x{image.height}|".encode())
    if image.mode == "P":
        digest.update(bytes(image.getpalette() or ()))
        digest.update(b"|")
    digest.update(image.tobytes())
    return digest.hexdigest()


def voyage_downsample(image: Any) -> Any:
    """mteb's `_downsample_image`: above 16 million pixels, the longest side becomes 4000
    (the other scaled, truncated to int); else a side above 10,000 is clamped to 10,000 alone
    (the aspect ratio is not kept, as in mteb). LANCZOS in both cases."""
    from PIL.Image import Resampling

    width, height = image.size
    if width * height > VOYAGE_MAX_PIXELS:
        if width > height:
            size = (VOYAGE_TARGET_LONGEST_SIDE, int(height * (VOYAGE_TARGET_LONGEST_SIDE / width)))
        else:
            size = (int(width * (VOYAGE_TARGET_LONGEST_SIDE / height)), VOYAGE_TARGET_LONGEST_SIDE)
        return image.resize(size, Resampling.LANCZOS)
    if width > height and width > VOYAGE_MAX_SIDE:
        return image.resize((VOYAGE_MAX_SIDE, height), Resampling.LANCZOS)
    if height >= width and height > VOYAGE_MAX_SIDE:
        return image.resize((width, VOYAGE_MAX_SIDE), Resampling.LANCZOS)
    return image


def encoded(image: Any, fmt: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def webp_lossless_rgb(image: Any) -> bytes:
    """voyageai's `_image_to_base64`: ``convert("RGB")`` (alpha dropped), lossless WEBP."""
    return encoded(image.convert("RGB"), "WEBP", lossless=True)


def png_own_mode(image: Any) -> bytes:
    """google-genai's `pil_to_blob` for an in-memory image: PNG in the image's mode."""
    if image.mode not in PNG_MODES:
        has_alpha = "A" in image.getbands()
        image = image.convert("RGBA" if has_alpha else "RGB")
    return encoded(image, "PNG")


def jpeg_rgb(image: Any) -> bytes:
    """JPEG at PIL's default quality, as mteb's Cohere wrapper meant to send images."""
    return encoded(image.convert("RGB") if image.mode != "RGB" else image, "JPEG")


def jpeg_within(image: Any, max_bytes: int) -> bytes:
    """`jpeg_rgb`, scaled down by 3/4 per step (LANCZOS) until it fits `max_bytes`."""
    from PIL.Image import Resampling

    data = jpeg_rgb(image)
    while len(data) > max_bytes and min(image.size) > 16:
        image = image.resize(
            (max(1, image.width * 3 // 4), max(1, image.height * 3 // 4)), Resampling.LANCZOS
        )
        data = jpeg_rgb(image)
    return data
