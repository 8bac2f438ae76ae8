"""open_clip's preprocess split at ToTensor gives the preprocess's own pixels.

Reference: the `preprocess` that `open_clip.create_model_and_transforms` returns, called
per image. Workers of the split hand over uint8; `normalize` finishes the batch with
ToTensor's and Normalize's float32 arithmetic, so the pixels are bit-identical.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from PIL import Image
from pixel_probes import probe_images
from torchvision import transforms

from pytest_mieb.data.images import to_rgb
from pytest_mieb.models import load_encoder
from pytest_mieb.models.imaging import SplitAtToTensor, split_at_to_tensor

#: open_clip.transform.image_transform arguments: its eval pipelines.
PIPELINES = {
    "shortest-224-bicubic": {"image_size": 224},
    "shortest-odd-bilinear": {"image_size": 37, "interpolation": "bilinear"},
    "squash-non-square": {"image_size": (48, 40), "resize_mode": "squash"},
    "longest-pad": {"image_size": (40, 40), "resize_mode": "longest", "fill_color": 0},
    "custom-mean-std": {"image_size": 32, "mean": (0.1, 0.2, 0.3), "std": (0.9, 0.5, 0.25)},
}


def open_clip_preprocess(**kwargs):
    from open_clip.transform import image_transform

    return image_transform(is_train=False, **kwargs)


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_split_gives_the_preprocess_pixels_bit_for_bit(name: str) -> None:
    preprocess = open_clip_preprocess(**PIPELINES[name])
    split = split_at_to_tensor(preprocess)
    assert split is not None
    for image in probe_images():
        rgb = to_rgb(image)
        worker = split(image)
        assert worker.dtype == torch.uint8
        got = split.normalize(worker[None])[0]
        assert got.dtype == torch.float32
        assert torch.equal(got, preprocess(rgb)), (name, image.size, image.mode)


def test_loaded_open_clip_model_takes_the_split_and_keeps_its_embeddings(
    open_clip_arch: str, open_clip_checkpoint: Path
) -> None:
    import open_clip

    encoder = load_encoder(f"open_clip:{open_clip_arch}/{open_clip_checkpoint}", device="cpu")
    transform = encoder.image_transform
    assert isinstance(transform, SplitAtToTensor)
    model, _, preprocess = open_clip.create_model_and_transforms(
        open_clip_arch, pretrained=str(open_clip_checkpoint)
    )
    images = probe_images()
    reference = torch.stack([preprocess(to_rgb(image)) for image in images])
    with torch.no_grad():
        want = model.eval().encode_image(reference)
    uint8 = torch.stack([transform(image) for image in images])
    assert torch.equal(encoder.encode_pixels(uint8), want)
    assert torch.equal(encoder.encode_pixels(reference), want)  # float pixels pass through
    assert torch.equal(encoder.encode_images(images), want)
    copy = pickle.loads(pickle.dumps(transform))
    assert torch.equal(copy(images[2]), uint8[2])


class TensorStep:
    """A step on tensors placed before ToTensor: the split cannot run it on PIL images."""

    def __call__(self, image: Image.Image) -> torch.Tensor:
        return transforms.functional.pil_to_tensor(image)


NORMALIZE = transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))


@pytest.mark.parametrize(
    "pipeline",
    [
        transforms.Compose([transforms.Resize(8), transforms.ToTensor()]),
        transforms.Compose([transforms.Resize(8), NORMALIZE]),
        transforms.Compose([transforms.ToTensor(), NORMALIZE, transforms.Resize(8)]),
        transforms.Compose([transforms.Resize(8), TensorStep(), transforms.ToTensor(), NORMALIZE]),
        transforms.Compose([transforms.Resize(8), transforms.PILToTensor(), NORMALIZE]),
        lambda image: transforms.functional.to_tensor(image),
    ],
    ids=["no-normalize", "no-to-tensor", "steps-after-normalize", "tensor-step", "other", "fn"],
)
def test_pipelines_it_does_not_reproduce_keep_their_own_path(pipeline) -> None:
    assert split_at_to_tensor(pipeline) is None
