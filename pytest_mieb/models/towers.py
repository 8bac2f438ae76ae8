"""What every two-tower (CLIP-like) encoder shares: images via pixels, fused = sum.

MIEB's reference wrappers for dual encoders (CLIP, OpenCLIP, SigLIP, ALIGN, BLIP, ...)
embed the image and the text of a fused image+text input separately and add the two
embeddings element-wise (raw embeddings, no normalisation in between); see
docs/mieb-protocols.md 2.3.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_mieb.models.imaging import pixel_batch


class DualTowerEncoder:
    """Mixin: subclasses provide `image_transform`, `encode_pixels` and `encode_texts`."""

    image_transform: Any

    def encode_pixels(self, pixels: Any) -> Any:  # pragma: no cover - provided by subclasses
        raise NotImplementedError

    def encode_texts(self, texts: Sequence[str]) -> Any:  # pragma: no cover
        raise NotImplementedError

    def encode_images(self, images: Sequence[Any]) -> Any:
        return self.encode_pixels(pixel_batch(self.image_transform, images))

    def encode_fused(self, images: Sequence[Any], texts: Sequence[str]) -> Any:
        if len(images) != len(texts):
            raise ValueError(
                f"fused inputs need as many texts as images: {len(images)} != {len(texts)}"
            )
        return self.encode_images(images) + self.encode_texts(texts)
