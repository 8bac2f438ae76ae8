"""BLIP-2 under its published ids: the converted LAVIS `Blip2ITM` weights (the tiny checkpoint
served as `Salesforce/blip2-itm-vit-g[-coco]`) with the opt repo's image processor (the same
directory served as `Salesforce/blip2-opt-*`), embedded with the Q-Former features of mteb's
recipe; checked against transformers' own `Blip2ForImageTextRetrieval.forward`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from pytest_mieb.models import load_encoder, parse_model_id
from tests.models.tiny_checkpoints import MAIN, build, served

PRETRAIN, COCO = "Salesforce/blip2-opt-2.7b", "Salesforce/blip2-opt-6.7b-coco"
WEIGHTS = {PRETRAIN: "Salesforce/blip2-itm-vit-g", COCO: "Salesforce/blip2-itm-vit-g-coco"}
TEXTS = ["a photo of a cat", "A red bird next to a blue car"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build("blip2", tmp_path_factory.mktemp("tiny"))


def load(model_id: str, checkpoint: Path, tmp_path: Path, monkeypatch):
    repos = {model_id: (checkpoint, MAIN), WEIGHTS[model_id]: (checkpoint, MAIN)}
    with served(monkeypatch, tmp_path / "hub", repos):
        return load_encoder(f"{model_id}@{MAIN}", device="cpu")


def images() -> list[Image.Image]:
    rng = np.random.default_rng(7)
    return [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
            for w, h in [(40, 30), (28, 60)]]  # fmt: skip


def hf_forward(checkpoint: Path, pics, texts, padding, itm: bool):
    from transformers import AutoImageProcessor, AutoTokenizer, Blip2ForImageTextRetrieval

    model = Blip2ForImageTextRetrieval.from_pretrained(checkpoint).eval()
    pixels = AutoImageProcessor.from_pretrained(checkpoint, backend="pil")(
        images=pics, return_tensors="pt"
    )["pixel_values"]
    length = {"max_length": 32} if padding == "max_length" else {}
    tokens = AutoTokenizer.from_pretrained(checkpoint)(
        texts, padding=padding, return_tensors="pt", **length
    )
    with torch.no_grad():
        return model(pixel_values=pixels, input_ids=tokens["input_ids"],
                     attention_mask=tokens["attention_mask"],
                     use_image_text_matching_head=itm), model  # fmt: skip


@pytest.mark.parametrize("model_id", [PRETRAIN, COCO])
def test_published_ids_route_to_the_blip2_adapter(model_id):
    assert parse_model_id(model_id).backend == "blip2"


def test_text_and_image_features_are_the_unprojected_qformer_states(checkpoint, tmp_path,
                                                                    monkeypatch):  # fmt: skip
    encoder = load(COCO, checkpoint, tmp_path, monkeypatch)  # coco: the ViT is not rounded
    assert encoder.embed_dim == 32
    out, model = hf_forward(checkpoint, images(), TEXTS, "max_length", itm=False)
    text = encoder.encode_texts(TEXTS)
    np.testing.assert_allclose(
        text.numpy(), out.text_model_output.last_hidden_state[:, 0].numpy(), atol=1e-5
    )
    image = encoder.encode_images(images())
    with torch.no_grad():  # transformers projects and normalises every query; ours is query 0
        projected = torch.nn.functional.normalize(model.vision_projection(image), dim=-1)
    np.testing.assert_allclose(projected.numpy(), out.image_embeds[:, 0].numpy(), atol=1e-5)
    assert not torch.allclose(image.norm(dim=-1), torch.ones(2), atol=1e-2)  # not normalised


def test_fused_is_the_joint_qformer_pass_with_longest_padding(checkpoint, tmp_path, monkeypatch):
    encoder = load(COCO, checkpoint, tmp_path, monkeypatch)
    out, _ = hf_forward(checkpoint, images(), TEXTS, True, itm=True)
    fused = encoder.encode_fused(images(), TEXTS)
    np.testing.assert_allclose(
        fused.numpy(), out.text_model_output.last_hidden_state[:, 0].numpy(), atol=1e-5
    )
    separate = encoder.encode_images(images()) + encoder.encode_texts(TEXTS)
    assert not torch.allclose(fused, separate, atol=1e-3)


def test_pretrain_vit_weights_are_rounded_to_fp16_as_lavis_built_them(checkpoint, tmp_path,
                                                                      monkeypatch):  # fmt: skip
    from safetensors.torch import load_file

    saved = load_file(checkpoint / "model.safetensors")
    key = "vision_model.encoder.layers.0.mlp.fc1.weight"
    for model_id, rounded in [(PRETRAIN, True), (COCO, False)]:
        encoder = load(model_id, checkpoint, tmp_path / model_id.split("/")[1], monkeypatch)
        weight = encoder.model.vision_model.encoder.layers[0].mlp.fc1.weight
        want = saved[key].half().float() if rounded else saved[key]
        assert torch.equal(weight, want)
        norm = encoder.model.vision_model.encoder.layers[0].layer_norm1.weight
        assert torch.equal(norm, saved["vision_model.encoder.layers.0.layer_norm1.weight"])
    assert not torch.equal(saved[key].half().float(), saved[key])


def test_text_is_truncated_to_32_tokens_on_the_right(checkpoint, tmp_path, monkeypatch):
    encoder = load(COCO, checkpoint, tmp_path, monkeypatch)
    long = " ".join(["cat"] * 40)
    np.testing.assert_allclose(
        encoder.encode_texts([long + " dog bird"]).numpy(),
        encoder.encode_texts([long]).numpy(),
        atol=1e-6,
    )
