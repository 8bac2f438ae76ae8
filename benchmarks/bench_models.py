"""Throughput of the offline default model (baseline/pixels) and of a load by id.

baseline/pixels runs every offline smoke test, so it must stay far cheaper than any real
model: its image transform (16x16 shrink) and projection, and its text n-gram hashing.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from pytest_mieb.models import load_encoder

N = 256


@pytest.fixture(scope="module")
def pixels_model():
    return load_encoder("baseline/pixels")


@pytest.fixture(scope="module")
def photos() -> list[Image.Image]:
    rng = np.random.default_rng(0)
    return [Image.fromarray(rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)) for _ in range(N)]


def test_pixels_baseline_image_transform(benchmark, pixels_model, photos) -> None:
    transform = pixels_model.image_transform
    out = benchmark(lambda: [transform(im) for im in photos])
    assert out[0].shape == (3, 16, 16)


def test_pixels_baseline_encode_pixels(benchmark, pixels_model, photos) -> None:
    batch = torch.stack([pixels_model.image_transform(im) for im in photos])
    assert benchmark(pixels_model.encode_pixels, batch).shape == (N, pixels_model.embed_dim)


def test_pixels_baseline_encode_texts(benchmark, pixels_model) -> None:
    texts = [f"a photo of a small object number {i} on a table" for i in range(N)]
    assert benchmark(pixels_model.encode_texts, texts).shape == (N, pixels_model.embed_dim)


def test_load_baseline_by_id(benchmark) -> None:
    assert benchmark(load_encoder, "baseline/pixels").embed_dim > 0
