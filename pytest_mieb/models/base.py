"""The `Encoder` protocol: what the harness needs from any image / image-text model."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

Similarity = Literal["cosine", "dot", "maxsim"]


@runtime_checkable
class Encoder(Protocol):
    """An embedding model, loaded and ready.

    Image encoding is split in two so that the embedder can run `image_transform` (CPU,
    picklable) in DataLoader workers and `encode_pixels` on the accelerator. Every method
    returns a 2-D float tensor (n, embed_dim) on any device; the embedder moves it to CPU.
    An encoder whose `image_transform` is None and that has `encode_images` (an API model,
    which sends the images themselves) gets batches of decoded RGB PIL images there instead;
    an encoder with `keeps_image_mode = True` gets them (there and in `encode_fused`) in the
    mode they were stored in (alpha, palette, greyscale), for a processor that converts them
    as the reference's did.
    A late-interaction encoder (``similarity = "maxsim"``) returns `MultiVectors` (a matrix of
    token vectors per input, `pytest_mieb.embed.multivector`) from every method instead.
    On the CPU (Linux), `image_transform` and `encode_pixels` also run in forked copies of
    the process, each on whole batches (`pytest_mieb.embed.forked`); an encoder that must
    only be called in the process that loaded it (it keeps what it learns from its calls, or
    holds threads or connections) says ``fork_safe = False``.
    """

    name: str
    revision: str
    embed_dim: int
    similarity: Similarity

    @property
    def fingerprint(self) -> str:
        """Stable id of the weights + preprocessing, for embedding caches."""
        ...

    @property
    def image_transform(self) -> Callable[[Any], Any]:
        """PIL image -> preprocessed tensor (C, H, W); must be picklable."""
        ...

    def encode_pixels(self, pixels: Any) -> Any: ...

    def encode_images(self, images: Sequence[Any]) -> Any: ...

    def encode_texts(self, texts: Sequence[str]) -> Any: ...

    def encode_fused(self, images: Sequence[Any], texts: Sequence[str]) -> Any:
        """Image+text inputs (it2t, it2i, t2it tasks), item k of each together."""
        ...
