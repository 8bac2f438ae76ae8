"""Per-image preprocessing cost: each model family's reference path against its fast split.

The reference paths are what a worker would run per image without the split: transformers'
CLIP PIL image processor, and open_clip's eval ``preprocess`` (both at 224 px). The fast
paths (`ResizeCropNormalize`, `SplitAtToTensor`) run only the PIL resize and crop per image
and return uint8; their batch rescale + normalise is measured separately, per batch of 32.
Inputs: CIFAR-sized 32x32 images and photo-sized 500x375 ones.

Run: pytest benchmarks/bench_pixels.py -p no:cacheprovider
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from timing import record_per_item_ms

from pytest_mieb.models.hf_dual import HFImageTransform, fast_pixel_recipe
from pytest_mieb.models.imaging import split_at_to_tensor

N_IMAGES = 64
BATCH = 32
SIZES = {"32x32": (32, 32), "500x375": (500, 375)}


def hf_clip_paths():
    from transformers import CLIPImageProcessorPil

    processor = CLIPImageProcessorPil()
    recipe = fast_pixel_recipe(processor)
    assert recipe is not None
    return HFImageTransform(processor), HFImageTransform(processor, fast=recipe)


def open_clip_paths():
    from open_clip.transform import image_transform

    preprocess = image_transform(224, is_train=False)
    split = split_at_to_tensor(preprocess)
    assert split is not None
    return preprocess, split


PATHS = {"hf-clip": hf_clip_paths, "open-clip": open_clip_paths}


@pytest.fixture(scope="module", params=sorted(SIZES))
def images(request: pytest.FixtureRequest) -> list[Image.Image]:
    rng = np.random.default_rng(0)
    width, height = SIZES[request.param]
    return [
        Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))
        for _ in range(N_IMAGES)
    ]


@pytest.mark.parametrize("path", ["reference", "fast"])
@pytest.mark.parametrize("family", sorted(PATHS))
def test_per_image_worker_cost(benchmark, images, family: str, path: str) -> None:
    """What one DataLoader worker spends per image (decoded PIL image in, tensor out)."""
    torch.set_num_threads(1)
    reference, fast = PATHS[family]()
    transform = reference if path == "reference" else fast
    out = benchmark(lambda: [transform(image) for image in images])
    assert out[0].dtype == (torch.float32 if path == "reference" else torch.uint8)
    record_per_item_ms(benchmark, "per_image_ms", len(images))
    benchmark.extra_info["bytes_per_image"] = out[0].numel() * out[0].element_size()


@pytest.mark.parametrize("family", sorted(PATHS))
def test_batch_normalize_cost(benchmark, family: str) -> None:
    """What the fast path moves to the main process (or the GPU): rescale + normalise."""
    torch.set_num_threads(1)
    _, fast = PATHS[family]()
    batch = torch.randint(0, 256, (BATCH, 3, 224, 224), dtype=torch.uint8)
    normalize = fast.normalize if family == "open-clip" else fast.to_model_pixels
    out = benchmark(normalize, batch)
    assert out.dtype == torch.float32
    record_per_item_ms(benchmark, "per_image_ms", BATCH)
