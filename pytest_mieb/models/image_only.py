"""What every image-only encoder shares: it takes images, and never text.

DINOv2 / DINOv3 and MoCo v3 (timm) embed images only. They declare
``modalities = {"image"}`` so that tasks needing text are not run for them (as mteb runs such
a model only on the tasks whose inputs it can take), and they have no ``encode_texts``: the
embedding width comes from the model, never from encoding a text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_mieb.models.imaging import pixel_batch
from pytest_mieb.models.loaded import LoadedEncoder

IMAGE_ONLY: frozenset[str] = frozenset({"image"})


class ImageOnlyEncoder(LoadedEncoder):
    """Mixin base: subclasses set `embed_dim` and provide `image_transform` and
    `encode_pixels(pixels)`; images are embedded as the transform and the model make them."""

    modalities: frozenset[str] = IMAGE_ONLY

    def encode_pixels(self, pixels: Any) -> Any:  # pragma: no cover - provided by subclasses
        raise NotImplementedError

    def encode_images(self, images: Sequence[Any]) -> Any:
        return self.encode_pixels(pixel_batch(self.image_transform, images))
