"""What every multimodal-LLM embedder shares: the `Encoder` methods, batching, pooling.

An MLLM embedder turns each input (image, text, or image+text) into one prompt for a
vision-language model and pools one hidden state per prompt. Images go to the model's own
processor (the Qwen-VL processors pick a grid per image size, so there is no fixed pixel
tensor): `image_transform` is None and the embedder hands `encode_images` decoded images.
Each family (`pytest_mieb.models.mllm.lco`, `gme`, ...) says how one batch becomes
embeddings (`_embed`) and what of a request's context changes them (`context_key`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_mieb.models.fingerprints import fingerprint


class MllmEncoder:
    """A loaded MLLM embedder behind the `Encoder` protocol (cosine similarity)."""

    similarity = "cosine"
    #: The processor handles images itself: the embedder hands `encode_images` PIL images.
    image_transform = None
    family = ""

    def __init__(
        self,
        *,
        name: str,
        revision: str,
        model: Any,
        processor: Any,
        device: str,
        identity: dict[str, Any],
    ) -> None:
        self.name = name
        self.revision = revision
        self.model = model
        self.processor = processor
        self.device = device
        self.dtype = next(model.parameters()).dtype
        self._fingerprint = fingerprint({**identity, "family": self.family})
        self.embed_dim = int(self._embed(None, ["a"], None).shape[1])

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def instruction(self, context: Any) -> str:
        """The family's instruction for a request's context (none by default)."""
        return ""

    def context_key(self, context: Any) -> str:
        """What of the context changes the output (the embedder's cache variant)."""
        return self.instruction(context)

    def prompt(self, instruction: str, has_image: bool, text: str | None) -> str:
        """One input's prompt, for families whose prompt is a string template."""
        raise NotImplementedError

    def prompts(
        self, images: list[Any] | None, texts: list[str] | None, context: Any = None
    ) -> list[str]:
        """The prompt of each input of a batch, all under the context's instruction."""
        instruction = self.instruction(context)
        return [
            self.prompt(instruction, images is not None, texts[k] if texts is not None else None)
            for k in range(n_items(images, texts))
        ]

    def encode_texts(self, texts: Sequence[str], *, context: Any = None) -> Any:
        return self._embed(None, list(texts), context)

    def encode_images(self, images: Sequence[Any], *, context: Any = None) -> Any:
        return self._embed(list(images), None, context)

    def encode_fused(
        self, images: Sequence[Any], texts: Sequence[str], *, context: Any = None
    ) -> Any:
        if len(images) != len(texts):
            raise ValueError(
                f"fused inputs need as many texts as images: {len(images)} != {len(texts)}"
            )
        return self._embed(list(images), list(texts), context)

    def _embed(self, images: list[Any] | None, texts: list[str] | None, context: Any) -> Any:
        """One batch -> (n, dim) float32 embeddings on the CPU."""
        raise NotImplementedError

    def _to_device(self, inputs: Any) -> dict[str, Any]:
        return {key: value.to(self.device) for key, value in dict(inputs).items()}


def last_token(hidden: Any, mask: Any) -> Any:
    """The hidden state of each row's last real token, as the reference wrappers pick it:
    the last position when every row ends unpadded (left padding, or equal lengths), else
    position ``mask.sum() - 1`` (right padding)."""
    import torch

    if int(mask[:, -1].sum()) == mask.shape[0]:
        return hidden[:, -1]
    rows = torch.arange(hidden.shape[0], device=hidden.device)
    return hidden[rows, mask.sum(dim=1) - 1]


def l2_normalised(embeddings: Any) -> Any:
    """L2-normalised in the model's dtype (as the references normalise before upcasting)."""
    import torch

    return torch.nn.functional.normalize(embeddings, p=2, dim=-1)


def n_items(images: list[Any] | None, texts: list[str] | None) -> int:
    return len(images if images is not None else texts or [])
