"""open_clip adapter: a tiny custom architecture, saved and loaded back by id."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest
import torch

from pytest_mieb.models import Encoder, ModelLoadError, load_encoder
from pytest_mieb.models.fingerprints import NO_REVISION

TEXTS = ["a photo of a cat", "", "two dogs on a red sofa"]


@pytest.fixture(scope="module")
def reference(open_clip_arch: str, open_clip_checkpoint: Path):
    """The same weights loaded with open_clip directly: (model, preprocess, tokenizer)."""
    import open_clip

    model, _, preprocess = open_clip.create_model_and_transforms(
        open_clip_arch, pretrained=str(open_clip_checkpoint)
    )
    return model.eval(), preprocess, open_clip.get_tokenizer(open_clip_arch)


@pytest.fixture(scope="module")
def from_checkpoint(open_clip_arch: str, open_clip_checkpoint: Path) -> Encoder:
    return load_encoder(f"open_clip:{open_clip_arch}/{open_clip_checkpoint}", device="cpu")


def test_checkpoint_file_loads_with_raw_open_clip_embeddings(
    from_checkpoint, reference, images
) -> None:
    model, preprocess, tokenizer = reference
    with torch.no_grad():
        want_text = model.encode_text(tokenizer(TEXTS))
        pixels = torch.stack([preprocess(im.convert("RGB")) for im in images])
        want_image = model.encode_image(pixels)
    assert isinstance(from_checkpoint, Encoder)
    assert from_checkpoint.embed_dim == 16
    assert from_checkpoint.revision == NO_REVISION
    torch.testing.assert_close(from_checkpoint.encode_texts(TEXTS), want_text)
    torch.testing.assert_close(from_checkpoint.encode_images(images), want_image)
    assert not torch.allclose(want_text.norm(dim=1), torch.ones(3))  # raw, not normalised


def test_absolute_path_with_or_without_the_double_slash(
    open_clip_arch, open_clip_checkpoint, from_checkpoint
) -> None:
    single = f"open_clip:{open_clip_arch}{open_clip_checkpoint}"  # ARCH + /abs/path
    double = f"open_clip:{open_clip_arch}/{open_clip_checkpoint}"
    assert "//" in double
    for model_id in (single, double):
        encoder = load_encoder(model_id, device="cpu")
        assert encoder.fingerprint == from_checkpoint.fingerprint
        assert encoder.name == model_id


def test_pixels_path_fused_sum_and_picklable_transform(from_checkpoint, images) -> None:
    transform = pickle.loads(pickle.dumps(from_checkpoint.image_transform))
    pixels = torch.stack([transform(im.convert("RGB")) for im in images])
    torch.testing.assert_close(
        from_checkpoint.encode_pixels(pixels), from_checkpoint.encode_images(images)
    )
    fused = from_checkpoint.encode_fused(images, TEXTS)
    torch.testing.assert_close(
        fused, from_checkpoint.encode_images(images) + from_checkpoint.encode_texts(TEXTS)
    )


def test_local_directory_loads_the_same_weights(open_clip_dir, from_checkpoint, images) -> None:
    encoder = load_encoder(str(open_clip_dir), device="cpu")
    assert type(encoder).__name__ == "OpenClipEncoder"
    torch.testing.assert_close(encoder.encode_images(images), from_checkpoint.encode_images(images))
    torch.testing.assert_close(encoder.encode_texts(TEXTS), from_checkpoint.encode_texts(TEXTS))
    assert (
        load_encoder(f"open_clip:{open_clip_dir}", device="cpu").fingerprint == encoder.fingerprint
    )


def test_checkpoint_missing_a_key_is_a_load_error(open_clip_arch, open_clip_checkpoint, tmp_path):
    state = torch.load(open_clip_checkpoint, weights_only=True)["state_dict"]
    del state["text_projection"]
    broken = tmp_path / "broken.pt"
    torch.save({"state_dict": state}, broken)
    with pytest.raises(ModelLoadError, match="missing: text_projection") as info:
        load_encoder(f"open_clip:{open_clip_arch}/{broken}", device="cpu")
    assert "\n" not in str(info.value)


def test_other_weights_give_another_fingerprint(open_clip_arch, open_clip_checkpoint, tmp_path):
    first = load_encoder(f"open_clip:{open_clip_arch}/{open_clip_checkpoint}", device="cpu")
    state = torch.load(open_clip_checkpoint, weights_only=True)["state_dict"]
    state["text_projection"] = state["text_projection"] + 0.01
    other = tmp_path / "other.pt"
    torch.save({"state_dict": state}, other)
    second = load_encoder(f"open_clip:{open_clip_arch}/{other}", device="cpu")
    assert second.fingerprint != first.fingerprint


def test_directory_without_weights_is_a_load_error(open_clip_dir, tmp_path) -> None:
    empty = tmp_path / "config-only"
    shutil.copytree(open_clip_dir, empty, ignore=shutil.ignore_patterns("*.safetensors"))
    with pytest.raises(ModelLoadError, match="no checkpoint"):
        load_encoder(str(empty), device="cpu")


def test_unknown_tag_and_unknown_architecture(open_clip_arch) -> None:
    with pytest.raises(ModelLoadError, match="neither a pretrained tag"):
        load_encoder("open_clip:ViT-B-32/not-a-tag", device="cpu")
    with pytest.raises(ModelLoadError, match="no architecture 'No-Such-Arch'"):
        load_encoder("open_clip:No-Such-Arch/openai", device="cpu")


@pytest.mark.parametrize(
    "model_id",
    [
        "open_clip:ViT-B-32/laion2b_s34b_b79k",
        "hf-hub:mieb-test-org/not-cached@main",
        "laion/CLIP-ViT-B-32-mieb-test-not-cached",
    ],
)
def test_weights_not_in_the_cache_fail_with_the_offline_remedy(model_id) -> None:
    with pytest.raises(ModelLoadError, match="HF_HUB_OFFLINE") as info:
        load_encoder(model_id, device="cpu")
    assert "not reachable" in str(info.value)


def test_hub_repo_config_without_model_cfg_is_refused(open_clip_dir, tmp_path) -> None:
    odd = tmp_path / "odd"
    shutil.copytree(open_clip_dir, odd)
    (odd / "open_clip_config.json").write_text(json.dumps({"preprocess_cfg": {}}))
    with pytest.raises(ModelLoadError, match="open_clip cannot load"):
        load_encoder(str(odd), device="cpu")


# Checked on the CPU in test_models_low_precision.py but for the CUDA kernels.
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_open_clip_on_cuda_in_half_precision(open_clip_dir, from_checkpoint, images) -> None:
    encoder = load_encoder(str(open_clip_dir), device="cuda", precision="fp16")
    assert encoder.dtype == torch.float16
    got = encoder.encode_images(images)
    assert got.dtype == torch.float32
    torch.testing.assert_close(
        got.cpu(), from_checkpoint.encode_images(images), atol=1e-2, rtol=1e-2
    )
