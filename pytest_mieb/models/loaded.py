"""What every weights-backed encoder holds: identity, device, dtype, transform, fingerprint."""

from __future__ import annotations

from typing import Any

from pytest_mieb.models.fingerprints import fingerprint


class LoadedEncoder:
    """Base of the transformers, open_clip and E5-V adapters.

    Subclasses call `_hold` first, then `_measure_embed_dim` once they can encode text.
    """

    similarity = "cosine"

    def _hold(
        self,
        *,
        name: str,
        revision: str,
        model: Any,
        device: str,
        dtype: Any,
        image_transform: Any,
        identity: dict[str, Any],
    ) -> None:
        self.name = name
        self.revision = revision
        self.model = model
        self.device = device
        self.dtype = dtype
        self._image_transform = image_transform
        self._fingerprint = fingerprint(identity)

    def _measure_embed_dim(self) -> None:
        self.embed_dim = int(self.encode_texts(["a"]).shape[1])  # type: ignore[attr-defined]

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def image_transform(self) -> Any:
        return self._image_transform
