"""Embedding pipeline throughput with a near-free encoder: what the data path alone costs.

2,000 synthetic 64x64 RGB images, resized to 224x224 and turned into tensors (a CLIP-sized
input), encoded by a model that only averages pixels. Images/second per DataLoader worker
count shows how well decoding + preprocessing keep an accelerator fed; cache benchmarks show
what a repeated request costs. Run: pytest benchmarks/bench_embed.py -p no:cacheprovider
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from timing import record_rate
from torchvision import transforms

from pytest_mieb.data.containers import Inputs
from pytest_mieb.embed.embedder import Embedder

N_IMAGES = 2000


class NearFreeEncoder:
    name = "near-free"
    revision = "0"
    embed_dim = 3
    similarity = "cosine"
    fingerprint = "near-free-v1"

    @property
    def image_transform(self) -> transforms.Compose:
        return transforms.Compose([transforms.Resize((224, 224)), transforms.ToTensor()])

    def encode_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        return pixels.mean(dim=(2, 3)) + 1.0

    def encode_images(self, images: Sequence[Any]) -> torch.Tensor:
        return self.encode_pixels(torch.stack([self.image_transform(im) for im in images]))

    def encode_texts(self, texts: Sequence[str]) -> torch.Tensor:
        return torch.tensor([[len(t) + 1.0, 1.0, 1.0] for t in texts])

    def encode_fused(self, images: Sequence[Any], texts: Sequence[str]) -> torch.Tensor:
        return self.encode_images(images) + self.encode_texts(texts)


@pytest.fixture(scope="module")
def synthetic_images() -> list[Image.Image]:
    rng = np.random.default_rng(0)
    return [
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), "RGB")
        for _ in range(N_IMAGES)
    ]


@pytest.mark.parametrize("num_workers", [0, 1, 2])
def test_image_pipeline_throughput(benchmark, synthetic_images, num_workers: int) -> None:
    embedder = Embedder(NearFreeEncoder(), num_workers=num_workers, memory_cache_bytes=0)
    inputs = Inputs(key="synthetic/64px", images=synthetic_images)
    out = benchmark.pedantic(embedder.embed, args=(inputs,), rounds=3, iterations=1)
    assert out.shape == (N_IMAGES, 3)
    record_rate(benchmark, "images_per_second", N_IMAGES)
    benchmark.extra_info["num_workers"] = num_workers


def test_text_throughput(benchmark) -> None:
    texts = [f"a photo of a {'very ' * (i % 13)}small object number {i}" for i in range(20000)]
    embedder = Embedder(NearFreeEncoder(), memory_cache_bytes=0)
    out = benchmark(embedder.embed, Inputs(key="synthetic/texts", texts=texts))
    assert out.shape == (20000, 3)
    record_rate(benchmark, "texts_per_second", 20000)


def test_memory_cache_hit(benchmark, synthetic_images) -> None:
    embedder = Embedder(NearFreeEncoder(), num_workers=0)
    inputs = Inputs(key="synthetic/64px", images=synthetic_images[:64])
    embedder.embed(inputs)
    benchmark(embedder.embed, inputs)
    assert embedder.stats.encoded["image"] == 64


def test_disk_cache_hit_100k_by_768(benchmark, tmp_path) -> None:
    """Reading a 100k x 768 float32 matrix (~300 MB) back from the disk cache."""
    embedder = Embedder(NearFreeEncoder(), memory_cache_bytes=0, cache_dir=tmp_path)
    inputs = Inputs(key="synthetic/100k", texts=[str(i) for i in range(100_000)])
    key = embedder.cache_key(inputs)
    embedder.disk.save(key, np.ones((100_000, 768), dtype=np.float32))
    out = benchmark.pedantic(embedder.embed, args=(inputs,), rounds=3, iterations=1)
    assert out.shape == (100_000, 768)
    assert embedder.stats.encoded["text"] == 0
