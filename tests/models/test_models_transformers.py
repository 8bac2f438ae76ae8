"""transformers two-tower adapter: tiny CLIP / SigLIP / SigLIP 2 / BLIP loaded by id."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest
import torch

from pytest_mieb.models import Encoder, ModelLoadError, load_encoder
from pytest_mieb.models.fingerprints import NO_REVISION

TEXTS = ["a photo of the cat", "", "dog", "a red bird in the photo of a blue dog"]


def _rgb(images):
    return [im.convert("RGB") for im in images]


def _direct_features(model, out):
    return out.pooler_output if hasattr(out, "pooler_output") else out


@pytest.fixture(scope="module")
def clip(clip_dir: Path) -> Encoder:
    return load_encoder(str(clip_dir), device="cpu")


def test_clip_loads_from_a_local_directory_as_an_encoder(clip, clip_dir) -> None:
    assert isinstance(clip, Encoder)
    assert clip.name == str(clip_dir)
    assert clip.revision == NO_REVISION
    assert clip.similarity == "cosine"
    assert clip.embed_dim == 16
    assert not clip.model.training


def test_clip_embeddings_match_the_model_used_directly(clip, clip_dir, images) -> None:
    from transformers import CLIPImageProcessorPil, CLIPModel, CLIPProcessor

    model = CLIPModel.from_pretrained(clip_dir).eval()
    processor = CLIPProcessor.from_pretrained(clip_dir)
    pil = CLIPImageProcessorPil.from_pretrained(clip_dir)
    with torch.no_grad():
        tokens = processor(text=TEXTS, padding=True, truncation=True, return_tensors="pt")
        want_text = _direct_features(model, model.get_text_features(**tokens))
        pixels = pil(images=_rgb(images), return_tensors="pt")["pixel_values"]
        want_image = _direct_features(model, model.get_image_features(pixel_values=pixels))
    torch.testing.assert_close(clip.encode_texts(TEXTS), want_text)
    torch.testing.assert_close(clip.encode_images(images), want_image)


def test_clip_pixel_path_agrees_with_pil_path_and_transform_pickles(clip, images) -> None:
    transform = pickle.loads(pickle.dumps(clip.image_transform))
    pixels = torch.stack([transform(im.convert("RGB")) for im in images])
    assert pixels.shape == (3, 3, 32, 32)
    torch.testing.assert_close(clip.encode_pixels(pixels), clip.encode_images(images))


def test_clip_is_deterministic_and_fused_is_the_sum(clip, images) -> None:
    texts = TEXTS[:3]
    first = clip.encode_fused(images, texts)
    torch.testing.assert_close(first, clip.encode_fused(images, texts))
    torch.testing.assert_close(first, clip.encode_images(images) + clip.encode_texts(texts))
    with pytest.raises(ValueError, match="as many texts as images"):
        clip.encode_fused(images, texts[:2])


def test_fingerprint_is_stable_and_follows_the_weights(clip, clip_dir, tmp_path) -> None:
    from transformers import CLIPModel

    again = load_encoder(str(clip_dir), device="cpu")
    assert again.fingerprint == clip.fingerprint
    other = tmp_path / "retrained"
    shutil.copytree(clip_dir, other)
    model = CLIPModel.from_pretrained(clip_dir)
    with torch.no_grad():
        model.visual_projection.weight.add_(0.01)
    model.save_pretrained(other)
    changed = load_encoder(str(other), device="cpu")
    assert changed.fingerprint != clip.fingerprint
    assert load_encoder(str(other), device="cpu").fingerprint == changed.fingerprint


def test_siglip_pads_text_to_max_length(siglip_dir) -> None:
    from transformers import SiglipModel, SiglipProcessor

    encoder = load_encoder(f"transformers:{siglip_dir}", device="cpu")
    model = SiglipModel.from_pretrained(siglip_dir).eval()
    processor = SiglipProcessor.from_pretrained(siglip_dir)
    texts = ["a cat", "a photo of the red dog"]
    with torch.no_grad():
        fixed = processor(text=texts, padding="max_length", truncation=True, return_tensors="pt")
        assert fixed["input_ids"].shape[1] == 16
        want = _direct_features(model, model.get_text_features(**fixed))
        longest = processor(text=texts, padding=True, return_tensors="pt")
        other = _direct_features(model, model.get_text_features(**longest))
    got = encoder.encode_texts(texts)
    torch.testing.assert_close(got, want)
    assert not torch.allclose(got[0], other[0])  # the padding choice is visible in the output
    assert encoder.embed_dim == 32


def test_siglip2_naflex_inputs_travel_packed(siglip2_dir, images) -> None:
    from transformers import Siglip2ImageProcessorPil, Siglip2Model

    encoder = load_encoder(str(siglip2_dir), device="cpu")
    packed = encoder.image_transform(images[0].convert("RGB"))
    assert packed.dim() == 1
    model = Siglip2Model.from_pretrained(siglip2_dir).eval()
    pil = Siglip2ImageProcessorPil.from_pretrained(siglip2_dir)
    with torch.no_grad():
        inputs = pil(images=_rgb(images), return_tensors="pt")
        want = _direct_features(model, model.get_image_features(**inputs))
    torch.testing.assert_close(encoder.encode_images(images), want)


def test_blip_retrieval_checkpoint_uses_its_normalised_retrieval_heads(blip_itm_dir, images):
    from transformers import BlipForImageTextRetrieval, BlipProcessor

    encoder = load_encoder(str(blip_itm_dir), device="cpu")
    model = BlipForImageTextRetrieval.from_pretrained(blip_itm_dir).eval()
    processor = BlipProcessor.from_pretrained(blip_itm_dir)
    texts = ["a cat", "the blue bird"]
    with torch.no_grad():
        tokens = processor(text=texts, padding=True, truncation=True, return_tensors="pt")
        states = model.text_encoder(
            input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"]
        )[0]
        want = torch.nn.functional.normalize(model.text_proj(states[:, 0]), dim=-1)
    got = encoder.encode_texts(texts)
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(encoder.encode_images(images).norm(dim=1), torch.ones(3))
    assert encoder.embed_dim == 16


def test_directory_with_separate_tokenizer_and_image_processor_files(
    clip, clip_dir, tmp_path, make_tokenizer
) -> None:
    from transformers import CLIPImageProcessor, CLIPModel

    plain = tmp_path / "no-processor-config"
    CLIPModel.from_pretrained(clip_dir).save_pretrained(plain)
    make_tokenizer().save_pretrained(plain)
    CLIPImageProcessor(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    ).save_pretrained(plain)
    assert not (plain / "processor_config.json").exists()
    encoder = load_encoder(str(plain), device="cpu")
    torch.testing.assert_close(encoder.encode_texts(TEXTS), clip.encode_texts(TEXTS))


def test_directory_without_weights_is_a_load_error(clip_dir, tmp_path) -> None:
    broken = tmp_path / "no-weights"
    shutil.copytree(clip_dir, broken, ignore=shutil.ignore_patterns("*.safetensors"))
    with pytest.raises(ModelLoadError, match="local directory") as info:
        load_encoder(str(broken), device="cpu")
    assert "\n" not in str(info.value)


def test_checkpoint_with_a_missing_key_is_a_load_error(clip_dir, tmp_path) -> None:
    from safetensors.torch import load_file, save_file

    broken = tmp_path / "missing-key"
    shutil.copytree(clip_dir, broken)
    state = load_file(broken / "model.safetensors")
    del state["text_projection.weight"]
    save_file(state, broken / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(ModelLoadError, match=r"missing: text_projection\.weight") as info:
        load_encoder(str(broken), device="cpu")
    assert "randomly initialised" in str(info.value)


def test_hub_id_not_in_the_cache_fails_with_the_offline_remedy() -> None:
    with pytest.raises(ModelLoadError) as info:
        load_encoder("mieb-test-org/not-a-cached-model@0123abc", device="cpu")
    message = str(info.value)
    assert "'mieb-test-org/not-a-cached-model'" in message
    assert "0123abc" in message
    assert "HF_HUB_OFFLINE" in message and "local directory" in message
    assert "\n" not in message


REMOTE_CONFIG = """
from transformers import PretrainedConfig


class MiebRemoteConfig(PretrainedConfig):
    model_type = "mieb_remote_tiny"

    def __init__(self, dim=8, vocab_size=40, **kwargs):
        self.dim = dim
        self.vocab_size = vocab_size
        super().__init__(**kwargs)
"""

REMOTE_MODEL = """
import torch
from transformers import PreTrainedModel

from .configuration_mieb_remote import MiebRemoteConfig


class MiebRemoteModel(PreTrainedModel):
    config_class = MiebRemoteConfig

    def __init__(self, config):
        super().__init__(config)
        self.image_proj = torch.nn.Linear(3, config.dim)
        self.token_embedding = torch.nn.Embedding(config.vocab_size, config.dim)
        self.post_init()

    def get_image_features(self, pixel_values, **kwargs):
        return self.image_proj(pixel_values.mean(dim=(2, 3)))

    def get_text_features(self, input_ids, attention_mask=None, **kwargs):
        return self.token_embedding(input_ids).mean(dim=1)
"""


@pytest.fixture(scope="module")
def remote_code_dir(tmp_path_factory, clip_dir) -> Path:
    """A model whose architecture exists only as code inside its directory."""
    import json

    from transformers import AutoConfig, AutoModel

    out = tmp_path_factory.mktemp("remote-code")
    (out / "configuration_mieb_remote.py").write_text(REMOTE_CONFIG)
    (out / "modeling_mieb_remote.py").write_text(REMOTE_MODEL)
    auto_map = {
        "AutoConfig": "configuration_mieb_remote.MiebRemoteConfig",
        "AutoModel": "modeling_mieb_remote.MiebRemoteModel",
    }
    config = {"model_type": "mieb_remote_tiny", "architectures": ["MiebRemoteModel"]}
    (out / "config.json").write_text(json.dumps({**config, "auto_map": auto_map}))
    built = AutoModel.from_config(
        AutoConfig.from_pretrained(out, trust_remote_code=True), trust_remote_code=True
    )
    built.save_pretrained(out)
    for name in ("processor_config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(clip_dir / name, out / name)
    return out


def test_remote_code_needs_the_explicit_flag(remote_code_dir) -> None:
    with pytest.raises(ModelLoadError, match="--mieb-trust-remote-code"):
        load_encoder(str(remote_code_dir), device="cpu")


def test_remote_code_runs_with_the_flag(remote_code_dir, images) -> None:
    encoder = load_encoder(str(remote_code_dir), device="cpu", trust_remote_code=True)
    assert encoder.embed_dim == 8
    assert encoder.encode_images(images).shape == (3, 8)


def test_llava_directory_points_to_the_e5v_prefix(llava_next_dir) -> None:
    with pytest.raises(ModelLoadError, match="e5-v:"):
        load_encoder(str(llava_next_dir), device="cpu")


def test_half_precision_on_cpu_warns_and_stays_fp32(clip_dir) -> None:
    with pytest.warns(UserWarning, match="CUDA only"):
        encoder = load_encoder(str(clip_dir), device="cpu", precision="fp16")
    assert next(encoder.model.parameters()).dtype == torch.float32
    assert encoder.fingerprint == load_encoder(str(clip_dir), device="cpu").fingerprint


def test_unknown_precision_is_a_load_error(clip_dir) -> None:
    with pytest.raises(ModelLoadError, match="precision must be one of"):
        load_encoder(str(clip_dir), device="cpu", precision="int4")


# The dtype and device choices, weight casts and float32 outputs are checked on the CPU in
# test_models_low_precision.py; what is left here are the CUDA kernels themselves.
cuda_only = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@cuda_only
def test_half_precision_on_cuda_casts_weights_and_returns_float32(clip_dir, images) -> None:
    reference = load_encoder(str(clip_dir), device="cpu")
    encoder = load_encoder(str(clip_dir), device="cuda", precision="fp16")
    assert next(encoder.model.parameters()).dtype == torch.float16
    assert encoder.fingerprint != reference.fingerprint
    for got, want in (
        (encoder.encode_images(images), reference.encode_images(images)),
        (encoder.encode_texts(TEXTS), reference.encode_texts(TEXTS)),
    ):
        assert got.dtype == torch.float32 and got.device.type == "cuda"
        torch.testing.assert_close(got.cpu(), want, atol=1e-2, rtol=1e-2)
