"""Multimodal-LLM embedders loaded from tiny checkpoints through the real loader (issue 14
item 1): the ids reach their recipe family, the prompts are mteb 2.26's strings per task and
side, pooling takes each prompt's last real token whatever the padding, embeddings are
unit length, and the recipe's limits (text cap, truncation, image pre-resize) apply."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from pytest_mieb.models import load_encoder, parse_model_id
from pytest_mieb.models.errors import ModelLoadError
from pytest_mieb.models.mllm import gme as gme_recipe
from pytest_mieb.models.mllm import vlm2vec_v2 as v2_recipe
from tests.models.tiny_checkpoints import MAIN, build, served

LCO_ID = "LCO-Embedding/LCO-Embedding-Omni-3B"
GME_ID = "Alibaba-NLP/gme-Qwen2-VL-2B-Instruct"
V2_ID = "VLM2Vec/VLM2Vec-V2.0"
TEXTS = ["a photo of a cat.", "  two dogs in the snow  ", "What is the total budget for 2021?"]


def ctx(task: str, task_type: str, side: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(task=task, task_type=task_type, side=side, prompt=None)


CIFAR = ctx("CIFAR10", "ImageClassification")
FLICKR_Q = ctx("Flickr30kT2IRetrieval", "Any2AnyRetrieval", "query")
FLICKR_D = ctx("Flickr30kT2IRetrieval", "Any2AnyRetrieval", "document")
VIDORE_Q = ctx("VidoreDocVQARetrieval", "DocumentUnderstanding", "query")
VIDORE_D = ctx("VidoreDocVQARetrieval", "DocumentUnderstanding", "document")


def images() -> list[Image.Image]:
    rng = np.random.default_rng(3)
    sizes = [(64, 48), (40, 72), (17, 23)]
    return [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for w, h in sizes]


def unit_rows(x: torch.Tensor) -> None:
    np.testing.assert_allclose(x.norm(dim=1).numpy(), 1.0, atol=1e-5)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tiny-mllm")


@pytest.fixture(scope="module")
def lco(root: Path):
    with (
        pytest.MonkeyPatch.context() as patch,
        served(patch, root / "hub-lco", {LCO_ID: (build("lco", root), MAIN)}),
    ):
        ref = parse_model_id(f"{LCO_ID}@{MAIN}")
        assert (ref.backend, ref.family) == ("mllm", "lco")
        yield load_encoder(f"{LCO_ID}@{MAIN}", device="cpu")


@pytest.fixture(scope="module")
def gme(root: Path):
    return load_encoder(f"mllm:gme:{build('gme', root)}", device="cpu")


@pytest.fixture(scope="module")
def v2(root: Path):
    adapter = build("vlm2vec_v2", root)
    from tinymodels import vlm2vec_v2  # on the path once a tiny checkpoint was built

    repos = {
        V2_ID: (adapter, MAIN),
        vlm2vec_v2.BASE_REPO: (vlm2vec_v2.base_checkpoint(adapter), vlm2vec_v2.BASE_COMMIT),
    }
    with pytest.MonkeyPatch.context() as patch, served(patch, root / "hub-v2", repos):
        yield load_encoder(f"{V2_ID}@{MAIN}", device="cpu")


# -- ids ------------------------------------------------------------------------------------


def test_ids_reach_their_recipe_family():
    assert parse_model_id(LCO_ID).family == "lco"
    assert parse_model_id(LCO_ID).revision == "eea763cfaf673e955ae86c64968896a3fea70189"
    gme_ref = parse_model_id(GME_ID.lower())  # listed ids: any case, mteb's pinned revision
    assert (gme_ref.backend, gme_ref.family, gme_ref.revision) == (
        "mllm",
        "gme",
        "ce765ae71b8cdb208203cd8fb64a170b1b84293a",
    )
    assert parse_model_id(V2_ID).family == "vlm2vec_v2"
    forced = parse_model_id(f"mllm:gme:{LCO_ID}@abc")
    assert (forced.family, forced.name, forced.revision) == ("gme", f"mllm:gme:{LCO_ID}", "abc")
    with pytest.raises(ModelLoadError, match="MLLM recipe families are"):
        parse_model_id("mllm:nope:org/name")
    with pytest.raises(ModelLoadError, match="mllm:FAMILY:ID_OR_DIR"):
        parse_model_id("mllm:gme")


# -- LCO ------------------------------------------------------------------------------------

LCO_HEAD = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
LCO_TAIL = "<|im_end|>\n<|im_start|>assistant\n"
VISION = "<|vision_bos|><|IMAGE|><|vision_eos|>"


def test_lco_prompts_are_the_summarize_chat_turns(lco):
    assert lco.embed_dim == 64 and lco.processor.tokenizer.padding_side == "left"
    image = LCO_HEAD + VISION + "\nSummarize the above image in one word:" + LCO_TAIL
    assert lco.prompts(images()[:1], None) == [image]
    text = LCO_HEAD + TEXTS[1] + "\nSummarize the above text in one word:" + LCO_TAIL
    assert lco.prompts(None, TEXTS[1:2]) == [text]
    fused = LCO_HEAD + VISION + TEXTS[0] + "\nSummarize the above image in one word:" + LCO_TAIL
    assert lco.prompts(images()[:1], TEXTS[:1]) == [fused]


def test_lco_gets_images_with_their_alpha_and_its_processor_composites_them_on_white(lco):
    """As mteb hands LCO the dataset's images unconverted: transparency ends up white, not
    the colour under it (which dropping alpha would keep)."""
    from pytest_mieb.data.containers import Inputs
    from pytest_mieb.embed.embedder import Embedder

    rng = np.random.default_rng(5)
    rgba = rng.integers(0, 256, (40, 56, 4), dtype=np.uint8)
    rgba[:, :28, 3] = 0  # the left half fully transparent
    image = Image.fromarray(rgba, "RGBA")
    on_white = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image).convert("RGB")
    embedder = Embedder(lco, num_workers=0, memory_cache_bytes=0)
    got = embedder.embed(Inputs(key="alpha", images=[image]))
    want = lco.encode_images([on_white], context=CIFAR).numpy()
    np.testing.assert_allclose(got, want, atol=1e-6)
    dropped = lco.encode_images([image.convert("RGB")], context=CIFAR).numpy()
    assert np.abs(got - dropped).max() > 1e-3


def test_lco_caps_texts_at_300_tokens(lco):
    tokenizer = lco.processor.tokenizer
    long = " ".join(f"word{k}" for k in range(400))
    assert len(tokenizer(long).input_ids) > 300
    capped = lco.capped(long)
    assert capped == tokenizer.decode(tokenizer(long).input_ids[:300])
    assert lco.capped(TEXTS[0]) == TEXTS[0]
    assert lco.prompts(None, [long])[0] == lco.prompts(None, [capped])[0]


def test_lco_pools_the_last_token_normalised_and_ignores_the_task(lco):
    batch = lco.encode_texts(TEXTS, context=FLICKR_Q)
    unit_rows(batch)
    alone = torch.cat([lco.encode_texts([t], context=CIFAR) for t in TEXTS])
    np.testing.assert_allclose(batch.numpy(), alone.numpy(), atol=1e-5)  # left padding
    inputs = lco.processor(text=lco.prompts(None, TEXTS[:1]), return_tensors="pt")
    with torch.inference_mode():
        hidden = lco.model(**inputs, output_hidden_states=True).hidden_states[-1][:, -1]
    np.testing.assert_allclose(batch[:1].numpy(), (hidden / hidden.norm()).numpy(), atol=1e-5)
    assert lco.context_key(FLICKR_Q) == lco.context_key(VIDORE_D)
    unit_rows(lco.encode_images(images()))
    unit_rows(lco.encode_fused(images(), TEXTS))


# -- GME ------------------------------------------------------------------------------------


def gme_prompt(instruction: str, content: str) -> str:
    return (
        f"<|im_start|>system\n{instruction}<|im_end|>\n<|im_start|>user\n{content}<|im_end|>\n"
        "<|im_start|>assistant\n<|endoftext|>"
    )


def test_gme_prompts_carry_the_instruction_of_the_task_and_side(gme):
    image = "<|vision_start|><|image_pad|><|vision_end|>"
    cases = [
        (CIFAR, "Classify user passages."),
        (FLICKR_Q, "Find an image that matches the given caption."),
        (FLICKR_D, "You are a helpful assistant."),
        (VIDORE_Q, "Find a screenshot that relevant to the user's question."),
        (VIDORE_D, "You are a helpful assistant."),
        (None, "You are a helpful assistant."),
    ]
    for context, instruction in cases:
        assert gme.prompts(None, TEXTS[1:2], context) == [gme_prompt(instruction, TEXTS[1])]
        assert gme.prompts(images()[:1], None, context) == [gme_prompt(instruction, image)]
        fused = gme.prompts(images()[:1], TEXTS[:1], context)
        assert fused == [gme_prompt(instruction, image + TEXTS[0])]
        assert gme.context_key(context) == instruction
    a, b = gme.encode_texts(TEXTS, context=CIFAR), gme.encode_texts(TEXTS, context=FLICKR_Q)
    assert not np.allclose(a.numpy(), b.numpy())


def test_gme_pre_resizes_images_as_qwen_vl_utils(gme):
    size = gme.processor.image_processor.to_dict()["size"]  # the recipe's, not the checkpoint's
    assert (size["shortest_edge"], size["longest_edge"]) == (3136, 1280 * 28 * 28)
    sizes = {(64, 48): (56, 56), (40, 72): (56, 84), (33, 33): (56, 56), (96, 64): (84, 56),
             (50, 30): (84, 56), (17, 23): (56, 84)}  # fmt: skip
    for (w, h), expected in sizes.items():
        image = Image.new("RGBA", (w, h), (10, 20, 30, 100))
        fetched = gme_recipe.fetch_image(image)
        assert (fetched.size, fetched.mode) == (expected, "RGB")
    height, width = gme_recipe.smart_resize(28 * 2000, 28 * 3000)  # capped at 16384 patches
    assert height * width <= 16384 * 28 * 28 and height % 28 == width % 28 == 0


def test_gme_pools_the_last_real_token_of_right_padded_batches(gme):
    assert gme.processor.tokenizer.padding_side == "right"
    batch = gme.encode_texts(TEXTS, context=CIFAR)
    unit_rows(batch)
    alone = torch.cat([gme.encode_texts([t], context=CIFAR) for t in TEXTS])
    np.testing.assert_allclose(batch.numpy(), alone.numpy(), atol=1e-5)
    unit_rows(gme.encode_images(images(), context=VIDORE_D))
    unit_rows(gme.encode_fused(images(), TEXTS, context=FLICKR_Q))


def test_gme_runs_the_decoder_on_sequential_positions(gme):
    inputs = gme.processor(text=gme.prompts(images()[:1], None, CIFAR), images=[
        gme_recipe.fetch_image(images()[0])], return_tensors="pt")  # fmt: skip
    inputs = dict(inputs)
    with torch.inference_mode():
        ours = gme._decode(dict(inputs))[:, -1]
        full = gme.model(**inputs, output_hidden_states=True).hidden_states[-1][:, -1]
        length = inputs["input_ids"].shape[1]
        positions = torch.arange(length).view(1, 1, -1).expand(3, 1, -1)
        flat = gme.model(**inputs, position_ids=positions, output_hidden_states=True)
    np.testing.assert_allclose(ours.numpy(), flat.hidden_states[-1][:, -1].numpy(), atol=1e-5)
    assert not np.allclose(ours.numpy(), full.numpy(), atol=1e-4)  # not the M-RoPE index


def test_gme_truncates_prompts_at_1800_tokens(gme):
    long = " ".join(f"word{k}" for k in range(1500))
    inputs = gme.processor(
        text=gme.prompts(None, [long], CIFAR), truncation=True, max_length=gme_recipe.MAX_LENGTH
    )
    assert len(inputs["input_ids"][0]) == gme_recipe.MAX_LENGTH
    unit_rows(gme.encode_texts([long], context=CIFAR))


# -- VLM2Vec-V2 -----------------------------------------------------------------------------


def test_vlm2vec_v2_prompts_use_its_own_instruction_table(v2):
    find = "Find a document image that matches the given query:"
    understand = "Understand the content of the provided document image."
    two = [f"{find} {TEXTS[0]}", f"{find}   two dogs in the snow"]  # the ends stripped
    assert v2.prompts(None, TEXTS[:2], VIDORE_Q) == two
    assert v2.prompts(images()[:1], None, VIDORE_D) == [f"<|image_pad|> {understand}"]
    assert v2.prompts(images()[:1], None, FLICKR_Q) == ["<|image_pad|>"]
    assert v2.prompts(images()[:1], TEXTS[:1], CIFAR) == ["<|image_pad|>  a photo of a cat."]
    assert v2.prompts(None, TEXTS[1:2], FLICKR_D) == ["two dogs in the snow"]
    assert v2.context_key(VIDORE_Q) == find and v2.context_key(CIFAR) == ""


def test_vlm2vec_v2_merges_the_adapter_into_its_base(v2, root):
    from safetensors import safe_open
    from tinymodels import vlm2vec_v2

    base = vlm2vec_v2.base_checkpoint(root / "vlm2vec_v2") / "model.safetensors"
    with safe_open(str(base), "pt") as weights:
        q_proj = weights.get_tensor("model.layers.0.self_attn.q_proj.weight")
    merged = dict(v2.model.named_parameters())
    name = next(n for n in merged if n.endswith("layers.0.self_attn.q_proj.weight"))
    assert not torch.equal(merged[name], q_proj)
    assert not any("lora" in n for n in merged)
    batch = v2.encode_texts(TEXTS, context=CIFAR)
    unit_rows(batch)
    alone = torch.cat([v2.encode_texts([t], context=CIFAR) for t in TEXTS])
    np.testing.assert_allclose(batch.numpy(), alone.numpy(), atol=1e-5)
    unit_rows(v2.encode_images(images(), context=VIDORE_D))
    unit_rows(v2.encode_fused(images(), TEXTS, context=CIFAR))


def test_vlm2vec_v2_positions_run_on_over_image_tokens():
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]])
    positions = v2_recipe.sequential_positions(mask)
    assert positions.shape == (3, 2, 4)
    assert positions[2].tolist() == [[0, 1, 2, 1], [0, 1, 2, 3]]


def test_an_adapter_that_fits_no_module_is_refused(root, tmp_path):
    from safetensors.torch import load_file, save_file

    adapter = build("vlm2vec_v2", root)
    from tinymodels import vlm2vec_v2

    broken = tmp_path / "broken"
    shutil.copytree(adapter, broken)
    weights = load_file(str(broken / "adapter_model.safetensors"))
    save_file({k.replace("layers", "blocks"): v for k, v in weights.items()},
              str(broken / "adapter_model.safetensors"))  # fmt: skip
    config = json.loads((broken / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = str(vlm2vec_v2.base_checkpoint(adapter))
    (broken / "adapter_config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="does not fit its base"):
        load_encoder(f"mllm:vlm2vec_v2:{broken}", device="cpu")


def test_the_embedder_hands_each_task_its_instruction_and_caches_by_it(gme):
    from pytest_mieb.data.containers import Inputs
    from pytest_mieb.embed.embedder import Embedder
    from pytest_mieb.tasks.index import load_all_specs

    specs = load_all_specs()
    run = Embedder(gme, num_workers=0)
    texts = Inputs("texts", texts=TEXTS)
    cifar = run.for_task(specs["CIFAR10"]).embed(texts, side=None, subset="default")
    np.testing.assert_allclose(cifar, gme.encode_texts(TEXTS, context=CIFAR).numpy(), atol=1e-5)
    flickr = run.for_task(specs["Flickr30kT2IRetrieval"])
    query = flickr.embed(texts, side="query", subset="default")
    np.testing.assert_allclose(query, gme.encode_texts(TEXTS, context=FLICKR_Q).numpy(), atol=1e-5)
    document = flickr.embed(texts, side="document", subset="default")
    vidore_d = run.for_task(specs["VidoreDocVQARetrieval"]).embed(
        texts, side="document", subset="default"
    )
    assert run.stats.memory_hits == 1  # both tasks' documents: GME's default system prompt
    np.testing.assert_array_equal(document, vidore_d)
    pictures = run.for_task(specs["CIFAR10"]).embed(Inputs("imgs", images=images()), side=None)
    np.testing.assert_allclose(np.linalg.norm(pictures, axis=1), 1.0, atol=1e-5)
