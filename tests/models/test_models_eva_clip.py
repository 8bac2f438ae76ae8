"""EVA02-CLIP under its published ids: the EVA repo's `.pt` file (EVA key names) fetched from
the served `QuanSun/EVA-CLIP` repo, converted, and loaded into open_clip's EVA02 architecture
(made the tiny one of `benchmarks/tinymodels/eva_clip.py` for the test)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from pytest_mieb.models import load_encoder, parse_model_id
from pytest_mieb.models.errors import ModelLoadError
from tests.models.tiny_checkpoints import build, served

PUBLISHED = "QuanSun/EVA02-CLIP-B-16"
REVISION = "11afd202f2ae80869d6cef18b1ec775e79bd8d12"
WEIGHTS = "EVA02_CLIP_B_psz16_s8B.pt"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build("eva_clip", tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def bige_checkpoint(checkpoint) -> Path:
    return build("eva_clip_bige", checkpoint.parent)


@pytest.fixture
def tiny_b16(checkpoint):
    """open_clip's EVA02-B-16 is the tiny architecture for the duration of a test."""
    from tinymodels.eva_clip import register_open_clip_arch, restore_open_clip_arch

    previous = register_open_clip_arch(checkpoint, "EVA02-B-16")
    yield
    restore_open_clip_arch("EVA02-B-16", previous)


def repo_with(tmp_path: Path, state: dict) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    torch.save(state, repo / WEIGHTS)
    return repo


def images() -> list[Image.Image]:
    rng = np.random.default_rng(5)
    out = [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
           for w, h in [(64, 48), (50, 90)]]  # fmt: skip
    return [*out, out[0].convert("L")]


def reference(checkpoint: Path, pics: list[Image.Image], texts: list[str], bige: bool = False):
    """timm `Eva` + open_clip's text tower loaded by undoing the builder's own renames (not
    through the adapter's converter), EVA's transform and tokenizer written out."""
    from open_clip import SimpleTokenizer
    from open_clip.model import CLIPTextCfg, _build_text_tower
    from timm.models.eva import Eva
    from tinymodels import eva_clip as tiny
    from tinymodels import eva_clip_bige
    from torchvision import transforms

    state = torch.load(checkpoint / "EVA02_CLIP_tiny.pt")
    visual = {}
    for key, value in state.items():
        if key.startswith("visual."):
            key = key.removeprefix("visual.")
            for timm_name, eva_name in [] if bige else tiny.TO_EVA:
                key = key.replace(eva_name, timm_name)
            visual[key] = value
    tower = Eva(**(eva_clip_bige.BIGE_TIMM_ARGS if bige else tiny.TIMM_ARGS)).eval()
    assert not [k for k in tower.load_state_dict(visual, strict=False).missing_keys
                if "rope" not in k]  # fmt: skip
    text_cfg = {k: v for k, v in tiny.EVA_CONFIG["text_cfg"].items()
                if k not in ("xattn", "fusedLN")}  # fmt: skip
    text = _build_text_tower(tiny.EMBED, CLIPTextCfg(**text_cfg)).eval()
    text.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("text.")})
    transform = transforms.Compose([
        transforms.Resize(tiny.IMAGE, interpolation=transforms.InterpolationMode.BICUBIC),
        transforms.CenterCrop(tiny.IMAGE), transforms.ToTensor(),
        transforms.Normalize((0.48145466, 0.4578275, 0.40821073),
                             (0.26862954, 0.26130258, 0.27577711)),
    ])  # fmt: skip
    with torch.no_grad():
        image = tower(torch.stack([transform(p.convert("RGB")) for p in pics]))
        tokens = SimpleTokenizer()(texts)
        return image.numpy(), text(tokens).numpy()


def test_published_id_routes_to_the_eva_clip_adapter_at_the_published_revision():
    ref = parse_model_id(PUBLISHED)
    assert (ref.backend, ref.revision, ref.revision_source) == ("eva_clip", REVISION, "published")


def test_published_id_loads_the_eva_checkpoint_and_embeds_as_eva(
    checkpoint, tiny_b16, tmp_path, monkeypatch
):
    (tmp_path / "repo").mkdir()
    shutil.copy(checkpoint / "EVA02_CLIP_tiny.pt", tmp_path / "repo" / WEIGHTS)
    with served(monkeypatch, tmp_path / "hub", {"QuanSun/EVA-CLIP": (tmp_path / "repo", REVISION)}):
        encoder = load_encoder(PUBLISHED, device="cpu")
    assert encoder.revision == REVISION and encoder.embed_dim == 32
    pics, texts = images(), ["a photo of a cat", "A RED Bird!"]
    want_image, want_text = reference(checkpoint, pics, texts)
    np.testing.assert_allclose(encoder.encode_images(pics).numpy(), want_image, atol=1e-5)
    np.testing.assert_allclose(encoder.encode_texts(texts).numpy(), want_text, atol=1e-5)
    fused = encoder.encode_fused(pics[:2], texts).numpy()
    np.testing.assert_allclose(fused, want_image[:2] + want_text, atol=1e-5)


def test_eva_wrapped_and_module_prefixed_checkpoints_load_the_same(checkpoint, tiny_b16, tmp_path,
                                                                   monkeypatch):  # fmt: skip
    state = torch.load(checkpoint / "EVA02_CLIP_tiny.pt")
    state["text.logit_scale"] = state.pop("logit_scale")
    repo = repo_with(tmp_path, {"module": {f"module.{k}": v for k, v in state.items()}})
    with served(monkeypatch, tmp_path / "hub", {"QuanSun/EVA-CLIP": (repo, REVISION)}):
        encoder = load_encoder(PUBLISHED, device="cpu")
    want_image, _ = reference(checkpoint, images(), ["a"])
    np.testing.assert_allclose(encoder.encode_images(images()).numpy(), want_image, atol=1e-5)


def test_a_checkpoint_missing_a_weight_is_refused(checkpoint, tiny_b16, tmp_path, monkeypatch):
    state = torch.load(checkpoint / "EVA02_CLIP_tiny.pt")
    del state["visual.blocks.1.mlp.w3.weight"]
    repo = repo_with(tmp_path, state)
    missing = r"missing: visual\.trunk\.blocks\.1\.mlp\.fc2"
    with (
        served(monkeypatch, tmp_path / "hub", {"QuanSun/EVA-CLIP": (repo, REVISION)}),
        pytest.raises(ModelLoadError, match=missing),
    ):
        load_encoder(PUBLISHED, device="cpu")


def test_weights_not_in_the_cache_say_so(tmp_path, monkeypatch):
    where = r"QuanSun/EVA-CLIP/EVA02_CLIP_B_psz16_s8B\.pt.* not reachable"
    with served(monkeypatch, tmp_path / "hub", {}), pytest.raises(ModelLoadError, match=where):
        load_encoder(PUBLISHED, device="cpu")


def test_bige_published_id_loads_its_file_into_the_post_norm_architecture(
    bige_checkpoint, tmp_path, monkeypatch
):
    from tinymodels.eva_clip import register_open_clip_arch, restore_open_clip_arch

    (tmp_path / "repo").mkdir()
    weights = tmp_path / "repo" / "EVA02_CLIP_E_psz14_s4B.pt"
    shutil.copy(bige_checkpoint / "EVA02_CLIP_tiny.pt", weights)
    previous = register_open_clip_arch(bige_checkpoint, "EVA02-E-14")
    try:
        repos = {"QuanSun/EVA-CLIP": (tmp_path / "repo", REVISION)}
        with served(monkeypatch, tmp_path / "hub", repos):
            encoder = load_encoder("QuanSun/EVA02-CLIP-bigE-14", device="cpu")
    finally:
        restore_open_clip_arch("EVA02-E-14", previous)
    want_image, want_text = reference(bige_checkpoint, images(), ["a red bird"], bige=True)
    np.testing.assert_allclose(encoder.encode_images(images()).numpy(), want_image, atol=1e-5)
    np.testing.assert_allclose(encoder.encode_texts(["a red bird"]).numpy(), want_text, atol=1e-5)
