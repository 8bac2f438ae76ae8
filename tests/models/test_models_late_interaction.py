"""Late-interaction adapter (ColPali, ColQwen2, ColQwen2.5, ColSmol) on the tiny checkpoints:
routing, the token layout of mteb's recipe, per-token vectors, fused inputs, batching, and a
LoRA adapter repository merged onto its base as the published vidore ids are."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from pytest_mieb.embed.multivector import MultiVectors
from pytest_mieb.models import load_encoder
from pytest_mieb.models.id_forms import parse_model_id
from tests.models.tiny_checkpoints import build, served

FAMILIES = ["colpali", "colqwen2", "colqwen2_5", "colsmol"]
# mteb's query strings, written out here independently of the adapter's constants.
AUGMENT = {"colpali": "<pad>", "colqwen2": "<|endoftext|>", "colqwen2_5": "<|endoftext|>",
           "colsmol": "<end_of_utterance>"}  # fmt: skip
TEXTS = ["a photo of a cat.", "What is the total budget shown in the table?", "x"]


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tiny-late")


@pytest.fixture(scope="module")
def encoders(tiny_root: Path) -> dict:
    return {f: load_encoder(str(build(f, tiny_root)), device="cpu") for f in FAMILIES}


def pictures() -> list[Image.Image]:
    rng = np.random.default_rng(3)
    sizes = [(64, 48), (40, 72), (33, 33)]
    return [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for w, h in sizes]


@pytest.mark.parametrize(
    "model_id", ["vidore/colpali-v1.3", "vidore/colqwen2-v1.0", "vidore/colqwen2.5-v0.2",
                 "vidore/colSmol-256M"],
)  # fmt: skip
def test_registered_ids_route_to_the_late_interaction_adapter(model_id: str) -> None:
    assert parse_model_id(model_id).backend == "late_interaction"


@pytest.mark.parametrize("family", FAMILIES)
def test_texts_are_mtebs_query_strings_one_unit_vector_per_token(family, encoders) -> None:
    encoder = encoders[family]
    assert encoder.similarity == "maxsim" and encoder.embed_dim == 128
    out = encoder.encode_texts(TEXTS)
    assert isinstance(out, MultiVectors) and out.shape == (3, 128)
    tokenizer = encoder.processor.tokenizer
    bos = tokenizer.bos_token if family == "colpali" else ""
    for i, text in enumerate(TEXTS):
        query = f"{bos}Query: {text}" + AUGMENT[family] * 10
        n_tokens = len(tokenizer(query, add_special_tokens=False)["input_ids"])
        assert len(out.item(i)) == n_tokens
    np.testing.assert_allclose(np.linalg.norm(out.data, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("family", FAMILIES)
def test_a_query_does_not_depend_on_its_batch(family, encoders) -> None:
    """Padding is masked (and ColPali's decoder is causal in every batch, see the adapter)."""
    encoder = encoders[family]
    together = encoder.encode_texts(TEXTS)
    for i, text in enumerate(TEXTS):
        alone = encoder.encode_texts([text])
        np.testing.assert_allclose(alone.item(0), together.item(i), atol=2e-5)


@pytest.mark.parametrize("family", FAMILIES)
def test_images_and_fused_inputs(family, encoders) -> None:
    encoder = encoders[family]
    images = pictures()
    alone = encoder.encode_images(images)
    assert len(alone) == 3 and (alone.lengths > 0).all()
    fused = encoder.encode_fused(images, TEXTS)
    texts = encoder.encode_texts(TEXTS)
    for i in range(3):
        assert fused.parts[i].tolist() == [len(texts.item(i)), len(alone.item(i))]
        np.testing.assert_allclose(
            fused.item(i), np.concatenate([texts.item(i), alone.item(i)]), atol=2e-5
        )
    if family in ("colqwen2", "colsmol"):  # token count follows the image's shape
        assert len(set(alone.lengths.tolist())) > 1
    with pytest.raises(ValueError, match="as many texts as images"):
        encoder.encode_fused(images, TEXTS[:2])


def test_a_lora_adapter_repository_is_merged_onto_its_base(tiny_root, tmp_path, monkeypatch):
    """The published vidore repos are PEFT LoRA adapters naming a base repository."""
    from safetensors.torch import load_file, save_file

    base = build("colqwen2", tiny_root)
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json", "preprocessor_config.json"):
        shutil.copy(base / name, adapter / name)
    config = {"base_model_name_or_path": "vidore/colqwen2-base", "r": 2, "lora_alpha": 4,
              "peft_type": "LORA"}  # fmt: skip
    (adapter / "adapter_config.json").write_text(json.dumps(config))
    weights = load_file(str(base / "model.safetensors"))
    target = "model.layers.0.self_attn.q_proj"
    out_dim, in_dim = weights[f"{target}.weight"].shape
    gen = torch.Generator().manual_seed(0)
    lora_a = torch.randn(2, in_dim, generator=gen)
    lora_b = torch.randn(out_dim, 2, generator=gen)
    projection = torch.randn_like(weights["custom_text_proj.weight"])
    save_file(
        {f"base_model.model.{target}.lora_A.weight": lora_a,
         f"base_model.model.{target}.lora_B.weight": lora_b,
         "base_model.model.custom_text_proj.weight": projection},
        str(adapter / "adapter_model.safetensors"),
    )  # fmt: skip
    merged = tmp_path / "merged"
    shutil.copytree(base, merged)
    weights[f"{target}.weight"] = weights[f"{target}.weight"] + 2.0 * (lora_b @ lora_a)
    weights["custom_text_proj.weight"] = projection
    save_file(weights, str(merged / "model.safetensors"))

    pinned = "530094e83a40ca4edcb5c9e5ddfa61a4b5ea0d2f"  # mteb's revision: a bare id's default
    repos = {"vidore/colqwen2-base": (base, "1" * 40), "vidore/colqwen2-v1.0": (adapter, pinned)}
    with served(monkeypatch, tmp_path / "hub", repos):
        from_hub = load_encoder("vidore/colqwen2-v1.0", device="cpu")
        assert from_hub.revision == pinned
        got = from_hub.encode_texts(TEXTS)
    want = load_encoder(str(merged), device="cpu").encode_texts(TEXTS)
    np.testing.assert_allclose(got.data, want.data, atol=1e-5)
    plain = load_encoder(str(base), device="cpu").encode_texts(TEXTS)
    assert np.abs(plain.data - want.data).max() > 1e-3  # the adapter changed something
