"""Image-only models (DINOv2, DINOv3, MoCo v3 / timm) loaded back from tiny checkpoints of
their real architectures, through the real loaders: what they embed, and that they never
need text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from pytest_mieb.data.containers import Inputs
from pytest_mieb.embed.embedder import Embedder
from pytest_mieb.models import load_encoder, parse_model_id
from tests.models.tiny_checkpoints import build, served

MOCO_ID = "nyu-visionx/moco-v3-vit-tiny"


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tiny")


def probe_images() -> list[Image.Image]:
    rng = np.random.default_rng(3)
    sizes = [(64, 48), (40, 72), (33, 33)]
    out = [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for w, h in sizes]
    out.append(out[0].convert("L"))
    return out


def embed_images(encoder, images) -> np.ndarray:
    run = Embedder(encoder, num_workers=0, memory_cache_bytes=0)
    return run.embed(Inputs("probe/images", images=images))


def test_dinov2_directory_embeds_the_cls_token_through_the_pil_processor(tiny_root):
    from transformers import AutoImageProcessor, AutoModel

    path = build("dinov2", tiny_root)
    encoder = load_encoder(str(path), device="cpu")
    assert type(encoder).__name__ == "ClsTokenEncoder"
    assert encoder.modalities == frozenset({"image"})
    assert not hasattr(encoder, "encode_texts") and encoder.embed_dim == 32
    images = probe_images()
    got = embed_images(encoder, images)
    processor = AutoImageProcessor.from_pretrained(path, backend="pil")
    assert type(processor).__name__ == "BitImageProcessorPil"
    model = AutoModel.from_pretrained(path).eval()
    pixels = processor(images=[im.convert("RGB") for im in images], return_tensors="pt")
    with torch.no_grad():
        expected = model(**pixels).last_hidden_state[:, 0].numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert np.abs(np.linalg.norm(got, axis=1) - 1).max() > 1e-3  # not normalised


def test_dinov3_directory_embeds_the_cls_token_not_the_registers(tiny_root):
    from transformers import AutoImageProcessor, AutoModel

    path = build("dinov3", tiny_root)
    encoder = load_encoder(str(path), device="cpu")
    assert encoder.modalities == frozenset({"image"}) and encoder.embed_dim == 32
    images = probe_images()
    got = embed_images(encoder, images)
    processor = AutoImageProcessor.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    with torch.no_grad():
        states = model(
            **processor(images=[im.convert("RGB") for im in images], return_tensors="pt")
        ).last_hidden_state
    np.testing.assert_allclose(got, states[:, 0].numpy(), atol=1e-5)
    assert not np.allclose(got, states[:, 1].numpy(), atol=1e-3)


def _moco_reference(path: Path, images: list[Image.Image]) -> np.ndarray:
    """ViT-B/16 at the checkpoint's sizes with its weights, timm's default ViT-B/16 eval
    transform (resize 248 bicubic, crop 224, mean = std = 0.5), CLS after the final norm."""
    import json

    import timm
    from safetensors.torch import load_file
    from torchvision import transforms

    args = json.loads((path / "config.json").read_text())["model_args"]
    model = timm.create_model("vit_base_patch16_224", pretrained=False, num_classes=0, **args)
    model.load_state_dict(load_file(path / "model.safetensors"))
    model.eval()
    transform = transforms.Compose([
        transforms.Resize(248, interpolation=transforms.InterpolationMode.BICUBIC),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    ])  # fmt: skip
    batch = torch.stack([transform(im.convert("RGB")) for im in images])
    with torch.no_grad():
        return model(batch).numpy()


def test_moco_hub_id_uses_the_architectures_default_data_config(tiny_root, tmp_path, monkeypatch):
    path = build("moco", tiny_root)
    assert parse_model_id(MOCO_ID).backend == "moco"
    with served(monkeypatch, tmp_path / "hub", {MOCO_ID: (path, "1" * 40)}):
        encoder = load_encoder(MOCO_ID, device="cpu")
    assert type(encoder).__name__ == "TimmImageEncoder"
    assert encoder.modalities == frozenset({"image"}) and encoder.embed_dim == 32
    assert not hasattr(encoder, "encode_texts")
    images = probe_images()
    np.testing.assert_allclose(
        embed_images(encoder, images), _moco_reference(path, images), atol=1e-5
    )


def test_timm_directory_uses_its_own_pretrained_config(tiny_root):
    """``timm:DIR`` is plain timm: the repository's data config (ImageNet mean / std, crop
    0.875), unlike the MoCo v3 recipe, so the two differ on the same weights."""
    path = build("moco", tiny_root)
    ref = parse_model_id(f"timm:{path}")
    assert (ref.backend, ref.local) == ("timm", True)
    assert parse_model_id(str(path)).backend == "timm"
    encoder = load_encoder(f"timm:{path}", device="cpu")
    images = probe_images()
    got = embed_images(encoder, images)
    assert got.shape == (len(images), 32)
    assert np.abs(got - _moco_reference(path, images)).max() > 1e-3


def test_image_only_encoders_run_image_batches_without_text(tiny_root):
    encoder = load_encoder(str(build("dinov2", tiny_root)), device="cpu")
    out = encoder.encode_images(probe_images()[:2])
    assert tuple(out.shape) == (2, 32)


@pytest.mark.parametrize(
    ("model_id", "backend"),
    [
        ("facebook/dinov2-small", "cls_vision"),
        ("facebook/dinov3-vits16-pretrain-lvd1689m@114c1379", "cls_vision"),
        ("nyu-visionx/moco-v3-vit-b", "moco"),
        ("nyu-visionx/moco-v3-vit-l@7bf75358d616f39b9716148bf4e3425f3bd35b47", "moco"),
        ("timm:vit_base_patch16_224.augreg2_in21k_ft_in1k", "timm"),
        ("timm:hf-hub:timm/vit_small_patch16_224.augreg_in21k@main", "timm"),
        ("sentence-transformers:acme/st-model", "sentence_transformers"),
        ("Haon-Chen/e5-omni-3B", "sentence_transformers"),
        ("Tevatron/OmniEmbed-v0.1", "sentence_transformers"),
        ("facebook/other-model", "transformers"),
    ],
)
def test_image_only_and_sentence_transformers_ids_route_by_id(model_id, backend):
    assert parse_model_id(model_id).backend == backend


def test_timm_hub_revision_is_kept():
    ref = parse_model_id("timm:hf-hub:timm/vit_small_patch16_224.augreg_in21k@abc")
    assert (ref.target, ref.revision) == (
        "hf-hub:timm/vit_small_patch16_224.augreg_in21k@abc",
        "abc",
    )
