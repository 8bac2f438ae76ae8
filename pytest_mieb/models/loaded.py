"""What every weights-backed encoder holds: identity, device, dtype, transform, fingerprint."""

from __future__ import annotations

from typing import Any

from pytest_mieb.models.fingerprints import fingerprint


class LoadedEncoder:
    """Base of the transformers, open_clip and E5-V adapters.

    Subclasses call `_hold` first, then `_measure_embed_dim` once they can encode.
    """

    similarity = "cosine"

    def _hold(
        self,
        *,
        name: str,
        revision: str,
        model: Any,
        device: str,
        image_transform: Any,
        identity: dict[str, Any],
        dtype: Any = None,
    ) -> None:
        """`dtype` defaults to that of the model's (first) weights."""
        self.name = name
        self.revision = revision
        self.model = model
        self.device = device
        self.dtype = dtype if dtype is not None else next(model.parameters()).dtype
        self._image_transform = image_transform
        self._fingerprint = fingerprint(identity)

    def _measure_embed_dim(self) -> None:
        """The width of one embedding, from an input the model takes: a text when it takes
        text, else one blank image (an image-only model is never handed text)."""
        from pytest_mieb.models.modalities import encoder_modalities

        if "text" in encoder_modalities(self, self.name):
            out = self.encode_texts(["a"])  # type: ignore[attr-defined]
        else:
            from PIL import Image

            pixels = self.image_transform(Image.new("RGB", (224, 224), (127, 127, 127)))
            out = self.encode_pixels(pixels[None].to(self.device))  # type: ignore[attr-defined]
        self.embed_dim = int(out.shape[1])

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def image_transform(self) -> Any:
        return self._image_transform
