"""EBind under its published id: the ebind-full config and Meta's PE-Core `.pt` served from an
offline hub cache at their pinned revisions, converted into open_clip's PE-Core architecture
(made the tiny one of `benchmarks/tinymodels/ebind.py` for the test)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from pytest_mieb.models import load_encoder, parse_model_id
from pytest_mieb.models.errors import ModelLoadError
from tests.models.tiny_checkpoints import build, served

PUBLISHED = "encord-team/ebind-full"
REVISION = "482831d6cb97d3ffc970f933c614a03aa9891416"
PE_REPO, PE_REVISION = "facebook/PE-Core-L14-336", "bafb0f76541d399057e980a25947f67acec76575"
WEIGHTS = "PE-Core-L14-336.pt"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build("ebind", tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def tiny_pe(checkpoint):
    """open_clip's PE-Core-L-14-336 is the tiny architecture for the duration of a test."""
    from tinymodels.ebind import register_open_clip_arch, restore_open_clip_arch

    previous = register_open_clip_arch()
    yield
    restore_open_clip_arch(previous)


def load(checkpoint: Path, tmp_path: Path, monkeypatch, pe_dir: Path | None = None):
    repos = {PUBLISHED: (checkpoint / "ebind-full", REVISION),
             PE_REPO: (pe_dir or checkpoint / "pe", PE_REVISION)}  # fmt: skip
    with served(monkeypatch, tmp_path / "hub", repos):
        return load_encoder(PUBLISHED, device="cpu")


def pe_dir_with(tmp_path: Path, state: dict) -> Path:
    out = tmp_path / "pe"
    out.mkdir()
    torch.save(state, out / WEIGHTS)
    return out


def images() -> list[Image.Image]:
    rng = np.random.default_rng(3)
    out = [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
           for w, h in [(64, 48), (50, 90)]]  # fmt: skip
    return [*out, out[0].convert("L")]


def reference(checkpoint: Path, pics: list[Image.Image], texts: list[str]):
    """fp32 tower outputs, L2-normalised: timm's PE tower and open_clip's text tower filled from
    the file by a mapping written here (not the adapter's converter), ebind's transform written
    out, open_clip's CLIP tokenizer at context 32."""
    from open_clip import SimpleTokenizer
    from tinymodels import ebind as tiny
    from torchvision import transforms

    state = torch.load(checkpoint / "pe" / WEIGHTS)
    visual = {k.removeprefix("visual."): v for k, v in state.items() if k.startswith("visual.")}
    timm_state = {"cls_token": visual.pop("class_embedding")[None, None],
                  "pos_embed": visual.pop("positional_embedding")[None],
                  "head.weight": visual.pop("proj").t(), "head.bias": torch.zeros(tiny.EMBED),
                  "attn_pool.latent": visual.pop("attn_pool.probe")}  # fmt: skip
    for kind in ("weight", "bias"):
        packed = visual.pop(f"attn_pool.attn.in_proj_{kind}")
        timm_state[f"attn_pool.q.{kind}"] = packed[: tiny.WIDTH]
        timm_state[f"attn_pool.kv.{kind}"] = packed[tiny.WIDTH :]
    renames = [("conv1.", "patch_embed.proj."), ("ln_pre.", "norm_pre."), ("ln_post.", "norm."),
               ("attn_pool.layernorm.", "attn_pool.norm."),
               ("attn_pool.attn.out_proj.", "attn_pool.proj."), ("attn_pool.mlp.c_fc.",
               "attn_pool.mlp.fc1."), ("attn_pool.mlp.c_proj.", "attn_pool.mlp.fc2."),
               ("transformer.resblocks.", "blocks."), (".ln_1.", ".norm1."), (".ln_2.", ".norm2."),
               (".attn.in_proj_", ".attn.qkv."), (".attn.out_proj.", ".attn.proj."),
               (".mlp.c_fc.", ".mlp.fc1."), (".mlp.c_proj.", ".mlp.fc2.")]  # fmt: skip
    for key, value in visual.items():
        for old, new in renames:
            key = key.replace(old, new)
        timm_state[key] = value
    tower = tiny.tiny_tower(seed=99)
    tower.load_state_dict(timm_state)
    text = tiny.tiny_text(seed=99)
    text.load_state_dict({k: v for k, v in state.items()
                          if not k.startswith("visual.") and k != "logit_scale"})  # fmt: skip
    transform = transforms.Compose([
        transforms.Resize(tiny.IMAGE), transforms.CenterCrop(tiny.IMAGE),
        transforms.Lambda(lambda im: im.convert("RGB")), transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    ])  # fmt: skip
    with torch.no_grad():
        image = F.normalize(tower(torch.stack([transform(p) for p in pics])), dim=-1)
        tokens = SimpleTokenizer(context_length=32)(texts)
        return image, F.normalize(text(tokens), dim=-1)


def test_published_id_routes_to_the_ebind_adapter_at_the_published_revision():
    ref = parse_model_id(PUBLISHED)
    assert (ref.backend, ref.revision, ref.revision_source) == ("ebind", REVISION, "published")
    pinned = parse_model_id(f"{PUBLISHED}@{'a' * 40}")
    assert (pinned.backend, pinned.revision, pinned.revision_source) == ("ebind", "a" * 40, "given")


def test_published_id_loads_the_pe_checkpoint_and_embeds_as_pe_in_fp32(
    checkpoint, tiny_pe, tmp_path, monkeypatch
):
    encoder = load(checkpoint, tmp_path, monkeypatch)
    assert encoder.revision == REVISION and encoder.embed_dim == 32
    assert encoder.keeps_image_mode and encoder.image_transform is None
    encoder.autocast = None  # the towers in fp32, for a tight comparison
    pics, texts = images(), ["a photo of a cat", "A RED Bird! " + "word " * 40]
    want_image, want_text = reference(checkpoint, pics, texts)
    got_image, got_text = encoder.encode_images(pics), encoder.encode_texts(texts)
    np.testing.assert_allclose(got_image.numpy(), want_image.numpy(), atol=1e-6)
    np.testing.assert_allclose(got_text.numpy(), want_text.numpy(), atol=1e-6)
    np.testing.assert_allclose(got_image.norm(dim=-1).numpy(), 1.0, atol=1e-6)
    fused = encoder.encode_fused(pics[:2], texts)
    want_fused = F.normalize(want_image[:2] + want_text, dim=-1)
    np.testing.assert_allclose(fused.numpy(), want_fused.numpy(), atol=1e-6)


def test_the_recipe_runs_the_towers_under_bf16_autocast_on_the_cpu(
    checkpoint, tiny_pe, tmp_path, monkeypatch
):
    encoder = load(checkpoint, tmp_path, monkeypatch)
    pics, texts = images(), ["a photo of a cat", "a dog", "x"]
    for out in (encoder.encode_images(pics), encoder.encode_texts(texts),
                encoder.encode_fused(pics, texts)):  # fmt: skip
        assert out.dtype == torch.float32
        assert torch.equal(out, out.bfloat16().float())  # computed in bf16
        np.testing.assert_allclose(out.norm(dim=-1).numpy(), 1.0, atol=1e-2)
    want_image, _ = reference(checkpoint, pics, texts)
    np.testing.assert_allclose(encoder.encode_images(pics).numpy(), want_image.numpy(), atol=2e-2)


def test_a_checkpoint_missing_a_weight_is_refused(checkpoint, tiny_pe, tmp_path, monkeypatch):
    state = torch.load(checkpoint / "pe" / WEIGHTS)
    del state["visual.transformer.resblocks.1.mlp.c_proj.weight"]
    with pytest.raises(ModelLoadError, match=r"missing: visual\.trunk\.blocks\.1\.mlp\.fc2") as err:
        load(checkpoint, tmp_path, monkeypatch, pe_dir_with(tmp_path, state))
    assert "\n" not in str(err.value)


def test_a_checkpoint_with_an_extra_weight_is_refused(checkpoint, tiny_pe, tmp_path, monkeypatch):
    state = torch.load(checkpoint / "pe" / WEIGHTS)
    state["text_head.weight"] = torch.zeros(2, 2)
    with pytest.raises(ModelLoadError, match=r"no place for \(text\.text_head\.weight\)") as err:
        load(checkpoint, tmp_path, monkeypatch, pe_dir_with(tmp_path, state))
    assert "\n" not in str(err.value)


def test_wrapped_and_module_prefixed_checkpoints_load_the_same(
    checkpoint, tiny_pe, tmp_path, monkeypatch
):
    state = torch.load(checkpoint / "pe" / WEIGHTS)
    wrapped = {"state_dict": {f"module.{k}": v for k, v in state.items()}}
    encoder = load(checkpoint, tmp_path, monkeypatch, pe_dir_with(tmp_path, wrapped))
    encoder.autocast = None
    want_image, _ = reference(checkpoint, images(), ["a"])
    np.testing.assert_allclose(encoder.encode_images(images()).numpy(), want_image.numpy(),
                               atol=1e-6)  # fmt: skip


def test_a_file_that_is_not_a_pe_checkpoint_is_refused(checkpoint, tiny_pe, tmp_path, monkeypatch):
    state = torch.load(checkpoint / "pe" / WEIGHTS)
    state = {k.removeprefix("visual."): v for k, v in state.items()}
    with pytest.raises(ModelLoadError, match=r"no visual\.conv1\.weight \(Meta's PE layout\)$"):
        load(checkpoint, tmp_path, monkeypatch, pe_dir_with(tmp_path, state))


def test_pe_weights_not_in_the_cache_say_so(checkpoint, tmp_path, monkeypatch):
    where = r"facebook/PE-Core-L14-336/PE-Core-L14-336\.pt.* not reachable"
    repos = {PUBLISHED: (checkpoint / "ebind-full", REVISION)}
    with served(monkeypatch, tmp_path / "hub", repos), pytest.raises(ModelLoadError, match=where):
        load_encoder(PUBLISHED, device="cpu")


def test_a_config_without_text_is_refused(checkpoint, tiny_pe, tmp_path, monkeypatch):
    import json

    repo = tmp_path / "ebind-full"
    shutil.copytree(checkpoint / "ebind-full", repo)
    (repo / "config.json").write_text(json.dumps({"model_type": "ebind", "modalities": ["image"]}))
    repos = {PUBLISHED: (repo, REVISION), PE_REPO: (checkpoint / "pe", PE_REVISION)}
    with (
        served(monkeypatch, tmp_path / "hub", repos),
        pytest.raises(ModelLoadError, match="lists no text modality"),
    ):
        load_encoder(PUBLISHED, device="cpu")


def test_preprocessing_resizes_before_converting_to_rgb():
    """A palette image resized 2x2 -> 4x4: PIL resizes palette images by nearest neighbour, so
    each colour fills a 2x2 block; converting to RGB first would blend them (bilinear)."""
    from pytest_mieb.models.perception_encoder import pe_image_transform

    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)]
    image = Image.new("P", (2, 2))
    image.putpalette([c for colour in colours for c in colour] + [0] * (768 - 12))
    image.putdata([0, 1, 2, 3])
    pixels = pe_image_transform(4)(image)
    want = torch.tensor(colours, dtype=torch.float32).reshape(2, 2, 3) / 255 * 2 - 1
    want = want.repeat_interleave(2, 0).repeat_interleave(2, 1).permute(2, 0, 1)
    assert torch.equal(pixels, want)


def test_preprocessing_crops_the_centre_of_the_shorter_side_resize():
    """An 8x4 image at size 4: the shorter side already is 4 (no resampling), the centre crop
    keeps columns 2..5, and pixels map to (x / 255 - 0.5) / 0.5."""
    from pytest_mieb.models.perception_encoder import pe_image_transform

    data = np.arange(8 * 4 * 3, dtype=np.uint8).reshape(4, 8, 3) * 2
    pixels = pe_image_transform(4)(Image.fromarray(data))
    want = torch.from_numpy(data[:, 2:6].astype(np.float32)).permute(2, 0, 1) / 255 * 2 - 1
    torch.testing.assert_close(pixels, want, atol=1e-6, rtol=0)
