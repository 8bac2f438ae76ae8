"""sentence-transformers models loaded back from tiny checkpoints through the real loader:
prompts chosen per task and side as mteb's sentence-transformers wrapper chooses them, the
omni recipes' truncation, adapter-only repos on their pinned base, and the embedder's path
for encoders that preprocess images themselves."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from pytest_mieb.data.containers import Inputs
from pytest_mieb.embed.embedder import Embedder
from pytest_mieb.models import load_encoder, parse_model_id
from pytest_mieb.models.model_table import published_model
from pytest_mieb.models.st_recipes import RECIPES, plan_call, rows
from tests.models.tiny_checkpoints import build, served

TEXTS = ["a photo of a cat.", "two dogs in the snow", "x"]


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tiny-st")


def ctx(task: str, task_type: str, side: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(task=task, task_type=task_type, side=side)


def images() -> list[Image.Image]:
    rng = np.random.default_rng(5)
    return [Image.fromarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)) for _ in range(3)]


def test_st_directory_prompts_by_task_and_side(tiny_root):
    from sentence_transformers import SentenceTransformer

    path = build("st_plain", tiny_root)
    assert parse_model_id(str(path)).backend == "sentence_transformers"
    encoder = load_encoder(str(path), device="cpu")
    assert encoder.modalities == frozenset({"image", "text"})  # cannot combine them
    assert encoder.similarity == "cosine" and encoder.embed_dim == 16
    model = SentenceTransformer(str(path), device="cpu")

    def plain(texts):
        return model.encode(texts, convert_to_tensor=True).numpy()

    cases = [
        (ctx("CIFAR10ZeroShot", "ZeroShotClassification"), "a photo of "),
        (ctx("Flickr30kT2IRetrieval", "Any2AnyRetrieval", "query"), "find a picture of: "),
        (ctx("VidoreDocVQARetrieval", "DocumentUnderstanding", "query"), "question: "),
        (ctx("VidoreDocVQARetrieval", "DocumentUnderstanding", "document"), "passage: "),
        (ctx("CIFAR10", "ImageClassification"), ""),
    ]
    for context, prefix in cases:
        got = encoder.encode_texts(TEXTS, context=context).numpy()
        np.testing.assert_allclose(got, plain([prefix + t for t in TEXTS]), atol=1e-5)
    # Images get no prompt in a non-chat model: the same for every task and side.
    a = encoder.encode_images(images(), context=cases[0][0])
    b = encoder.encode_images(images(), context=cases[3][0])
    np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)
    keys = {encoder.context_key(c) for c, _ in cases}
    assert len(keys) == len(cases)


def test_prompt_type_alone_picks_the_side_prompt(tiny_root):
    encoder = load_encoder(str(build("st_plain", tiny_root)), device="cpu")
    by_side = encoder.encode_texts(TEXTS, prompt_type="document").numpy()
    by_context = encoder.encode_texts(TEXTS, context=ctx("T", "Any2AnyRetrieval", "document"))
    np.testing.assert_allclose(by_side, by_context.numpy(), atol=1e-6)


def test_embedder_gives_rgb_pil_images_to_encoders_without_image_transform(tiny_root):
    encoder = load_encoder(str(build("st_plain", tiny_root)), device="cpu")
    assert getattr(encoder, "image_transform", None) is None
    pictures = [*images(), images()[0].convert("L")]
    got = Embedder(encoder, num_workers=0, memory_cache_bytes=0).embed(
        Inputs("probe/images", images=pictures)
    )
    expected = encoder.encode_images([p.convert("RGB") for p in pictures]).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_e5_omni_truncates_text_only_calls_and_combines_image_and_text(
    tiny_root, tmp_path, monkeypatch
):
    path = build("e5_omni", tiny_root)
    # a bare published id loads the revision its published scores were computed at
    published = published_model("Haon-Chen/e5-omni-3B").revision
    with served(monkeypatch, tmp_path / "hub", {"Haon-Chen/e5-omni-3B": (path, published)}):
        encoder = load_encoder("Haon-Chen/e5-omni-3B", device="cpu")
        assert encoder.recipe.name == "e5_omni" and encoder.revision == published
        assert encoder.modalities == frozenset({"image", "text", "image+text"})
        processing = encoder.model[0].processing_kwargs
        query = ctx("CIRRIT2IRetrieval", "Any2AnyRetrieval", "query")
        fused = encoder.encode_fused(images(), TEXTS, context=query)
        assert processing["text"] == {}
        text = encoder.encode_texts(TEXTS, context=query)
        assert processing["text"] == {"truncation": True, "max_length": 512}
    assert fused.shape == text.shape == (3, 64)
    assert torch.allclose(fused.norm(dim=1), torch.ones(3), atol=1e-5)


def test_omniembed_adapter_loads_on_its_pinned_base_in_bf16(tiny_root, tmp_path, monkeypatch):
    adapter = build("omniembed", tiny_root)
    base = adapter.parent / "omni_thinker"
    pinned = RECIPES["omniembed"].base_revision
    repos = {
        "Tevatron/OmniEmbed-v0.1": (adapter, published_model("Tevatron/OmniEmbed-v0.1").revision),
        "Tevatron/Qwen2.5-Omni-7B-Thinker": (base, pinned),
    }
    with served(monkeypatch, tmp_path / "hub", repos) as cache:
        # main of the base points elsewhere: only the pinned snapshot may be used
        (cache / "models--Tevatron--Qwen2.5-Omni-7B-Thinker" / "refs" / "main").write_text("4" * 40)
        encoder = load_encoder("Tevatron/OmniEmbed-v0.1", device="cpu")
        assert next(encoder.model.parameters()).dtype == torch.bfloat16
        text = encoder.encode_texts(TEXTS, context=ctx("X", "Any2AnyRetrieval", "query"))
        assert encoder.model.max_seq_length == 512
        encoder.encode_images(images(), context=ctx("CIFAR10", "ImageClassification"))
        assert encoder.model.max_seq_length == 32768
    assert text.dtype == torch.float32 and text.shape == (3, 64)
    lora = [name for name, _ in encoder.model.named_parameters() if "lora_" in name]
    assert lora  # the adapter is applied


def test_bidirlm_recipe_instructions_and_rows():
    recipe = RECIPES["bidirlm_omni"]
    query = plan_call(recipe, {}, ctx("VidoreDocVQARetrieval", "DocumentUnderstanding", "query"))
    assert query.function == "encode"
    assert query.prompt == "Retrieve associated pages according to questions."
    doc = ctx("VidoreDocVQARetrieval", "DocumentUnderstanding", "document")
    assert plan_call(recipe, {}, doc).prompt is None
    assert plan_call(recipe, {}, ctx("CIFAR10", "ImageClassification")).prompt is None
    assert plan_call(recipe, {}, ctx("FER2013ZeroShot", "ZeroShotClassification")).prompt
    assert rows(recipe, None, ["a"]) == [{"text": "a"}]
    assert list(rows(recipe, ["img"], ["a"])[0]) == ["image", "text"]


def test_jina_v5_omni_recipe_adapters_prompts_and_tuples():
    recipe = RECIPES["jina_v5_omni"]
    q = plan_call(recipe, {}, ctx("CIRRIT2IRetrieval", "Any2AnyRetrieval", "query"))
    assert (q.function, q.prompt, dict(q.extra)) == ("encode", "Query: ", {"task": "retrieval"})
    sts = plan_call(recipe, {}, ctx("STS13VisualSTS", "VisualSTS(eng)"))
    assert (sts.prompt, dict(sts.extra)) == ("Document: ", {"task": "text-matching"})
    clusters = plan_call(recipe, {}, ctx("TinyImageNet", "ImageClustering"))
    assert dict(clusters.extra) == {"task": "text-matching"}
    assert rows(recipe, ["img"], ["a"]) == [("a", "img")]
    assert rows(recipe, ["img"], None) == ["img"]


def test_generic_recipe_prompt_precedence():
    prompts = {
        "query": "q",
        "document": "d",
        "Any2AnyRetrieval-query": "tq",
        "VisionCentricQA": "vc",
        "CIFAR10ZeroShot": "name",
    }
    st = RECIPES["st"]
    assert plan_call(st, prompts, ctx("Flickr", "Any2AnyRetrieval", "query")).prompt == "tq"
    assert plan_call(st, prompts, ctx("Flickr", "Any2AnyRetrieval", "document")).prompt == "d"
    for side in ("query", "document"):
        assert plan_call(st, prompts, ctx("CVBench", "VisionCentricQA", side)).prompt == "vc"
    assert plan_call(st, prompts, ctx("CIFAR10ZeroShot", "ZeroShotClassification")).prompt == "name"
    assert plan_call(st, prompts, ctx("CIFAR10", "ImageClassification")).prompt is None
    assert plan_call(st, prompts, None).function == "encode"


def test_repository_code_runs_only_with_the_flag(tiny_root, tmp_path):
    import json
    import shutil

    from pytest_mieb.models import ModelLoadError

    path = tmp_path / "custom"
    shutil.copytree(build("st_plain", tiny_root), path)
    modules = json.loads((path / "modules.json").read_text())
    modules[0]["type"] = "custom_module.MyTransformer"
    (path / "modules.json").write_text(json.dumps(modules))
    (path / "custom_module.py").write_text(
        "from sentence_transformers.base.modules.transformer import Transformer\n"
        "class MyTransformer(Transformer):\n    pass\n"
    )
    with pytest.raises(ModelLoadError, match="--mieb-trust-remote-code"):
        load_encoder(str(path), device="cpu")
    encoder = load_encoder(str(path), device="cpu", trust_remote_code=True)
    assert type(encoder.model[0]).__name__ == "MyTransformer"
