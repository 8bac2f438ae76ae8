"""The fast pixel path of transformers dual encoders gives the processor's own pixels.

Reference: the checkpoint's PIL image processor called directly on the image, for CLIP- and
SigLIP-style configurations. Issue 7 asks for a max abs difference <= 1e-5 after
normalisation (the load-time self-check's bound); the pixels are in fact bit-identical.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from pixel_probes import probe_images

from pytest_mieb.data.images import to_rgb
from pytest_mieb.models import load_encoder
from pytest_mieb.models.hf_dual import HFImageTransform, fast_pixel_recipe
from pytest_mieb.models.imaging import ResizeCropNormalize, center_crop_hwc

TOLERANCE = 1e-5


def reference_pixels(processor, image: Image.Image) -> torch.Tensor:
    """The processor called directly. It composites transparency onto white, whereas the
    harness converts every image to RGB first (alpha dropped); images with real
    transparency are therefore compared on that RGB image."""
    opaque = image.mode != "RGBA" or image.getchannel("A").getextrema() == (255, 255)
    given = image if opaque else to_rgb(image)
    return processor(images=given, return_tensors="pt")["pixel_values"][0]


def fast_pixels(transform: HFImageTransform, image: Image.Image) -> torch.Tensor:
    return transform.to_model_pixels(torch.stack([transform(image)]))[0]


def pil_processor(kind: str, **kwargs):
    from transformers import CLIPImageProcessorPil, SiglipImageProcessorPil

    cls = {"clip": CLIPImageProcessorPil, "siglip": SiglipImageProcessorPil}[kind]
    return cls(**kwargs)


PROCESSOR_CONFIGS = {
    "clip-224-defaults": ("clip", {}),
    "clip-shortest-edge-below-crop": (
        "clip",
        {"size": {"shortest_edge": 20}, "crop_size": {"height": 25, "width": 23}},
    ),
    "clip-odd-crop-bilinear": (
        "clip",
        {"size": {"shortest_edge": 37}, "crop_size": {"height": 33, "width": 35}, "resample": 2},
    ),
    "siglip-224-defaults": ("siglip", {}),
    "siglip-non-square": ("siglip", {"size": {"height": 48, "width": 40}}),
    "clip-custom-mean-std-scale": (
        "clip",
        {"image_mean": [0.1, 0.2, 0.3], "image_std": [0.9, 0.5, 0.25], "rescale_factor": 1 / 200},
    ),
    "siglip-scale-without-float32-divisor": ("siglip", {"rescale_factor": 0.0037}),
}


@pytest.mark.parametrize("config", sorted(PROCESSOR_CONFIGS))
def test_fast_path_gives_the_processors_pixels(config: str) -> None:
    kind, kwargs = PROCESSOR_CONFIGS[config]
    processor = pil_processor(kind, **kwargs)
    recipe = fast_pixel_recipe(processor)
    assert recipe is not None
    transform = HFImageTransform(processor, fast=recipe)
    for image in probe_images():
        expected = reference_pixels(processor, image)
        got = fast_pixels(transform, image)
        assert got.dtype == torch.float32
        assert got.shape == expected.shape, (config, image.size, image.mode)
        assert float((got - expected).abs().max()) <= TOLERANCE, (config, image.size, image.mode)
        assert torch.equal(got, expected), (config, image.size, image.mode)


@pytest.mark.parametrize("fixture", ["clip_dir", "siglip_dir"])
def test_loaded_models_take_the_fast_path_and_keep_their_pixels_and_embeddings(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    from transformers import AutoImageProcessor

    model_dir: Path = request.getfixturevalue(fixture)
    encoder = load_encoder(str(model_dir), device="cpu")
    transform = encoder.image_transform
    assert transform.fast is not None
    processor = AutoImageProcessor.from_pretrained(model_dir, backend="pil")
    images = probe_images()
    worker_output = torch.stack([transform(image) for image in images])
    assert worker_output.dtype == torch.uint8
    reference = torch.stack([reference_pixels(processor, image) for image in images])
    assert torch.equal(transform.to_model_pixels(worker_output), reference)
    fast = encoder.encode_pixels(worker_output)
    assert torch.equal(fast, encoder.encode_pixels(reference))
    assert torch.equal(encoder.encode_images(images), fast)


def test_fast_transform_pickles_and_gives_the_same_uint8(clip_dir: Path) -> None:
    transform = load_encoder(str(clip_dir), device="cpu").image_transform
    copy = pickle.loads(pickle.dumps(transform))
    image = probe_images()[1]
    assert torch.equal(copy(image), transform(image))


class OverriddenResize(type(pil_processor("clip"))):  # type: ignore[misc]
    """A processor class that changes a step: the fast path must not imitate it."""

    def resize(self, image, size, resample=None, **kwargs):
        return super().resize(image, size, resample, **kwargs)


@pytest.mark.parametrize(
    "make",
    [
        lambda: pil_processor("clip", do_normalize=False),
        lambda: pil_processor("clip", do_rescale=False),
        lambda: pil_processor("clip", do_resize=False),
        lambda: pil_processor("clip", do_pad=True, pad_size={"height": 240, "width": 240}),
        lambda: pil_processor("clip", size={"shortest_edge": 30, "longest_edge": 40}),
        lambda: OverriddenResize(),
    ],
    ids=["no-normalize", "no-rescale", "no-resize", "pad", "longest-edge", "overridden-step"],
)
def test_configurations_it_does_not_reproduce_keep_the_processor(make) -> None:
    assert fast_pixel_recipe(make()) is None


def test_torchvision_backend_processor_keeps_its_own_path() -> None:
    from transformers import CLIPImageProcessor

    assert fast_pixel_recipe(CLIPImageProcessor()) is None


def test_packed_processors_have_no_fast_path(siglip2_dir: Path) -> None:
    transform = load_encoder(str(siglip2_dir), device="cpu").image_transform
    assert transform.layout is not None and transform.fast is None


def test_normalize_is_rescale_then_mean_std_by_hand() -> None:
    recipe = ResizeCropNormalize(
        resample=3, scale=1 / 255, mean=(0.5, 0.0, 0.25), std=(0.5, 1.0, 0.25), size=(1, 2)
    )
    batch = torch.tensor([[[[0, 255]], [[0, 255]], [[51, 102]]]], dtype=torch.uint8)
    expected = torch.tensor([[[[-1.0, 1.0]], [[0.0, 1.0]], [[-0.2, 0.6]]]])
    torch.testing.assert_close(recipe.normalize(batch), expected, atol=1e-6, rtol=0)


def test_rescale_uses_a_float32_divisor_only_where_it_is_exact() -> None:
    def recipe(scale: float) -> ResizeCropNormalize:
        return ResizeCropNormalize(
            resample=3, scale=scale, mean=(0, 0, 0), std=(1, 1, 1), size=(1, 1)
        )

    assert recipe(1 / 255).rescale_divisor == 255.0
    assert recipe(0.0037).rescale_divisor is None  # 1 / 0.0037 is no float32 number
    batch = torch.arange(256, dtype=torch.uint8).view(1, 1, 16, 16).expand(1, 3, 16, 16)
    for scale in (1 / 255, 0.0037):
        want = (np.arange(256, dtype=np.float64) * scale).astype(np.float32).reshape(16, 16)
        got = recipe(scale).normalize(batch)[0]
        assert all(np.array_equal(got[c].numpy(), want) for c in range(3))


def test_shortest_edge_resize_keeps_the_aspect_ratio_truncating_the_long_side() -> None:
    recipe = ResizeCropNormalize(
        resample=3, scale=1.0, mean=(0, 0, 0), std=(1, 1, 1), shortest_edge=10
    )
    assert recipe.resized_shape(width=30, height=20) == (10, 15)
    assert recipe.resized_shape(width=7, height=20) == (28, 10)  # 10 * 20 / 7 = 28.57
    assert recipe.resized_shape(width=10, height=10) == (10, 10)


def test_center_crop_pads_small_images_with_zeros_where_transformers_does() -> None:
    pixels = np.arange(1, 7, dtype=np.uint8).reshape(2, 3, 1)  # rows [1 2 3], [4 5 6]
    cropped = center_crop_hwc(pixels, 4, 2)[..., 0]
    # height 2 -> 4: one zero row above, one below; width 3 -> 2: columns 0-1 (left = 0)
    assert cropped.tolist() == [[0, 0], [1, 2], [4, 5], [0, 0]]
    assert center_crop_hwc(pixels, 1, 1)[..., 0].tolist() == [[2]]
    # height 2 -> 3: the odd zero row goes above (ceil); width 3 -> 5: one zero column each side
    assert center_crop_hwc(pixels, 3, 5)[..., 0].tolist() == [
        [0, 0, 0, 0, 0],
        [0, 1, 2, 3, 0],
        [0, 4, 5, 6, 0],
    ]
