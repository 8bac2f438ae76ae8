"""The remote-code two-tower families, nomic-embed-vision v1.5 and jina-clip: refused without
the trust flag; with it, the recipe around the repository's code, checked on stand-in remote
code written into tiny checkpoints (`benchmarks/tinymodels/_stand_in_code.py`), since the real
code lives only on the Hub."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from pytest_mieb.models import load_encoder, parse_model_id
from pytest_mieb.models.errors import ModelLoadError
from pytest_mieb.models.modalities import encoder_modalities
from tests.models.tiny_checkpoints import MAIN, build, served

NOMIC, NOMIC_TEXT = "nomic-ai/nomic-embed-vision-v1.5", "nomic-ai/nomic-embed-text-v1.5"
NOMIC_TEXT_REVISION = "a03db6748c80237063eb0546ac6b627eca2318cb"
JINA = "jinaai/jina-clip-v1"
TEXTS = ["a photo of a cat", "a red bird"]


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tiny")


def images() -> list[Image.Image]:
    rng = np.random.default_rng(11)
    return [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
            for w, h in [(40, 30), (28, 60)]]  # fmt: skip


@pytest.mark.parametrize("model_id", [NOMIC, JINA, "jinaai/jina-clip-v2"])
def test_remote_code_families_are_refused_without_the_trust_flag(model_id):
    assert parse_model_id(model_id).backend in ("nomic_vision", "jina_clip")
    with pytest.raises(ModelLoadError, match="--mieb-trust-remote-code"):
        load_encoder(model_id, device="cpu")


def nomic_encoder(tiny_root: Path, tmp_path: Path, monkeypatch, text_commit=NOMIC_TEXT_REVISION):
    path = build("nomic_vision", tiny_root)
    repos = {NOMIC: (path / "vision", MAIN), NOMIC_TEXT: (path / "text", text_commit)}
    with served(monkeypatch, tmp_path / "hub", repos):
        return load_encoder(f"{NOMIC}@{MAIN}", device="cpu", trust_remote_code=True), path


def test_nomic_embeds_cls_images_and_layer_normed_mean_pooled_texts(tiny_root, tmp_path,
                                                                    monkeypatch):  # fmt: skip
    from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

    encoder, path = nomic_encoder(tiny_root, tmp_path, monkeypatch)
    vision = AutoModel.from_pretrained(path / "vision", trust_remote_code=True).eval()
    text = AutoModel.from_pretrained(path / "text", trust_remote_code=True).eval()
    processor = AutoImageProcessor.from_pretrained(path / "vision", backend="pil")
    tokens = AutoTokenizer.from_pretrained(path / "text")(TEXTS, padding=True,
                                                          return_tensors="pt")  # fmt: skip
    with torch.no_grad():
        cls = vision(**processor(images=images(), return_tensors="pt")).last_hidden_state[:, 0]
        states = text(**tokens).last_hidden_state
    mask = tokens["attention_mask"][..., None].float()
    mean = (states * mask).sum(1) / mask.sum(1)
    want_text = torch.nn.functional.normalize(
        torch.nn.functional.layer_norm(mean, (mean.shape[1],)), dim=1
    )
    want_image = torch.nn.functional.normalize(cls, dim=1)
    np.testing.assert_allclose(encoder.encode_texts(TEXTS).numpy(), want_text.numpy(), atol=1e-5)
    np.testing.assert_allclose(encoder.encode_images(images()).numpy(), want_image.numpy(),
                               atol=1e-5)  # fmt: skip
    fused = encoder.encode_fused(images(), TEXTS).numpy()
    np.testing.assert_allclose(fused, (want_text + want_image).numpy(), atol=1e-5)


def test_nomic_reads_the_text_tower_at_the_pinned_revision(tiny_root, tmp_path, monkeypatch):
    with pytest.raises(ModelLoadError, match=r"nomic-embed-text-v1\.5.*a03db6748c"):
        nomic_encoder(tiny_root, tmp_path, monkeypatch, text_commit="1" * 40)


def test_jina_clip_uses_the_repository_encode_methods_and_sums_them(tiny_root, tmp_path,
                                                                   monkeypatch):  # fmt: skip
    from transformers import AutoModel

    path = build("jina_clip", tiny_root)
    with served(monkeypatch, tmp_path / "hub", {JINA: (path, MAIN)}):
        encoder = load_encoder(f"{JINA}@{MAIN}", device="cpu", trust_remote_code=True)
    assert encoder.image_transform is None  # the repository's code preprocesses the images
    assert encoder_modalities(encoder) == frozenset({"image", "text", "image+text"})
    model = AutoModel.from_pretrained(path, trust_remote_code=True).eval()
    want_text = model.encode_text(TEXTS, convert_to_tensor=True)
    want_image = model.encode_image(images(), convert_to_tensor=True)
    np.testing.assert_allclose(encoder.encode_texts(TEXTS).numpy(), want_text.numpy(), atol=1e-6)
    np.testing.assert_allclose(encoder.encode_images(images()).numpy(), want_image.numpy(),
                               atol=1e-6)  # fmt: skip
    np.testing.assert_allclose(encoder.encode_fused(images(), TEXTS).numpy(),
                               (want_text + want_image).numpy(), atol=1e-6)  # fmt: skip
