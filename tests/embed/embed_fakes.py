"""A tiny deterministic encoder for the embedder tests (and benchmark), and image helpers.

Features are simple functions of the inputs (channel statistics of 8x8 pixels; bytes of a
text digest), so tests can compute the expected embedding of any input independently.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image
from torchvision import transforms

EMBED_DIM = 6


def fake_transform() -> transforms.Compose:
    """Picklable (torchvision) PIL -> (3, 8, 8) float tensor."""
    return transforms.Compose([transforms.Resize((8, 8)), transforms.ToTensor()])


def pixel_features(pixels: torch.Tensor) -> torch.Tensor:
    """(n, 3, 8, 8) -> (n, 6): channel means, overall std, first pixel, constant."""
    n = pixels.shape[0]
    flat = pixels.reshape(n, 3, -1)
    return torch.cat(
        [
            flat.mean(dim=2),
            flat.reshape(n, -1).std(dim=1, keepdim=True),
            flat[:, 0, :1],
            torch.ones(n, 1),
        ],
        dim=1,
    )


def text_features(text: str) -> np.ndarray:
    digest = hashlib.sha256(text.encode()).digest()
    return np.frombuffer(digest[:EMBED_DIM], dtype=np.uint8).astype(np.float32) / 255 + 0.01


def expected_image_embedding(image: Image.Image) -> np.ndarray:
    """What the embedder must produce for one image: RGB first, then transform, then features."""
    pixels = fake_transform()(image.convert("RGB"))[None]
    return pixel_features(pixels)[0].numpy()


class FakeEncoder:
    """Implements the Encoder protocol and records every call it gets.

    Not fork-safe (`fork_safe = False`): its records live in the process that made it, so
    the embedder must call it there (the DataLoader path); `ForkSafeEncoder` is the fake for
    encoding in forked children.
    """

    name = "fake"
    revision = "0"
    embed_dim = EMBED_DIM
    similarity = "cosine"
    fork_safe = False

    def __init__(self, fingerprint: str = "fake-v1") -> None:
        self._fingerprint = fingerprint
        self.pixel_batches: list[int] = []
        self.text_batches: list[list[str]] = []
        self.fused_batches: list[tuple[list[Any], list[str]]] = []

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def image_transform(self) -> transforms.Compose:
        return fake_transform()

    def encode_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        self.pixel_batches.append(int(pixels.shape[0]))
        return pixel_features(pixels)

    def encode_images(self, images: Sequence[Any]) -> torch.Tensor:
        return pixel_features(torch.stack([fake_transform()(im.convert("RGB")) for im in images]))

    def encode_texts(self, texts: Sequence[str]) -> torch.Tensor:
        self.text_batches.append(list(texts))
        return torch.from_numpy(np.stack([text_features(t) for t in texts]))

    def encode_fused(self, images: Sequence[Any], texts: Sequence[str]) -> np.ndarray:
        self.fused_batches.append((list(images), list(texts)))
        pixels = torch.stack([fake_transform()(im) for im in images])
        return pixel_features(pixels).numpy() + np.stack([text_features(t) for t in texts])

    @property
    def images_encoded(self) -> int:
        return sum(self.pixel_batches)

    @property
    def texts_encoded(self) -> int:
        return sum(len(batch) for batch in self.text_batches)


class PromptAwareEncoder(FakeEncoder):
    """Takes `prompt_type` and lets it change text embeddings (like instruction models)."""

    def __init__(self, fingerprint: str = "fake-prompted") -> None:
        super().__init__(fingerprint)
        self.prompt_types: list[str | None] = []

    def encode_texts(self, texts: Sequence[str], prompt_type: str | None = None) -> torch.Tensor:
        self.prompt_types.append(prompt_type)
        return super().encode_texts([f"{prompt_type}: {t}" for t in texts])


def random_images(n: int, seed: int = 0, size: int = 16) -> list[Image.Image]:
    rng = np.random.default_rng(seed)
    return [
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8), "RGB")
        for _ in range(n)
    ]


class ProcessTag:
    """A picklable image transform whose output records the process that ran it."""

    def __call__(self, image: Image.Image) -> torch.Tensor:
        return torch.full((1,), float(os.getpid()), dtype=torch.float64)


class ProcessRecordingEncoder(FakeEncoder):
    """Remembers which processes transformed its images (see `ProcessTag`)."""

    def __init__(self) -> None:
        super().__init__("fake-process-recording")
        self.transform_pids: set[int] = set()

    @property
    def image_transform(self) -> ProcessTag:
        return ProcessTag()

    def encode_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        self.pixel_batches.append(int(pixels.shape[0]))
        self.transform_pids.update(int(p) for p in pixels.reshape(-1).tolist())
        return torch.ones(pixels.shape[0], EMBED_DIM)


def decode_in_workers(embedder: Any) -> Any:
    """`embedder`, set to start its DataLoader workers however cheap the decoding (after the
    first batch, which is always decoded in the main process to time it)."""
    embedder.decode_costs.worker_start_s = 0.0
    return embedder


def column_with_corrupt_row(n: int, bad_row: int, seed: int) -> Any:
    """The data layer's lazy image column ("acme/pics@abc123 split 'test'", column 'photo')
    over `n` PNG rows as datasets stores them, row `bad_row` not an image."""
    import io

    from datasets import Dataset, Features
    from datasets import Image as ImageFeature

    from pytest_mieb.data.images import ImageColumn

    cells: list[dict[str, Any]] = []
    for image in random_images(n, seed=seed):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        cells.append({"bytes": buffer.getvalue(), "path": None})
    cells[bad_row] = {"bytes": b"no image here", "path": None}
    table = Dataset.from_dict({"photo": cells}, features=Features({"photo": ImageFeature()}))
    return ImageColumn(table, "photo", "acme/pics@abc123 split 'test'")
