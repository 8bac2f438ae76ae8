"""Tiny, randomly initialised models saved to disk, loaded back the way a user's id would be.

Everything is built locally (configs, weights, tokenizers, processors): no test touches
the network, and every test runs with the hub in offline mode.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

WORDS = [
    "<pad>", "<unk>", "<s>", "</s>", "<image>",
    "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>",
    "a", "photo", "of", "the", "cat", "dog", "red", "blue", "bird", "user", "assistant",
    "Summary", "above", "sentence", "image", "in", "one", "word", ":", "[", "]", "[/", "INST",
    "Modify", "this", "with", '"', "Describe", "modified",
]  # fmt: skip
SIDE = 32


@pytest.fixture(autouse=True)
def hub_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """HF_HUB_OFFLINE=1, also where huggingface_hub already read it at import time."""
    import huggingface_hub.constants as hub_constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)


def tiny_tokenizer(*, bos: bool = True, eos: bool = True, max_length: int = 16):
    """A word-level fast tokenizer over `WORDS`, built without any file from the hub."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(WORDS)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    template = " ".join(x for x, on in (("<s>", bos), ("$A", True), ("</s>", eos)) if on)
    tok.post_processor = processors.TemplateProcessing(
        single=template, special_tokens=[("<s>", 2), ("</s>", 3)]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        model_max_length=max_length,
    )
    specials = ["<image>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
    fast.add_special_tokens({"additional_special_tokens": specials})
    return fast


@pytest.fixture(scope="session")
def make_tokenizer():
    """`tiny_tokenizer`, for tests that build their own model directories."""
    return tiny_tokenizer


def text_config(**extra) -> dict:
    base = dict(
        vocab_size=len(WORDS),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=16,
    )
    return {**base, **extra}


def vision_config(**extra) -> dict:
    return dict(
        image_size=SIDE,
        patch_size=8,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        **extra,
    )


def random_image(seed: int, size: tuple[int, int] = (40, 30), mode: str = "RGB") -> Image.Image:
    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    return image.convert(mode) if mode != "RGB" else image


@pytest.fixture(scope="session")
def images() -> list[Image.Image]:
    return [random_image(0), random_image(1, (50, 20)), random_image(2, (32, 32), "L")]


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor

    torch.manual_seed(0)
    config = CLIPConfig(
        text_config=text_config(bos_token_id=2, eos_token_id=3, pad_token_id=0),
        vision_config=vision_config(),
        projection_dim=16,
    )
    out = tmp_path_factory.mktemp("tiny-clip")
    CLIPModel(config).save_pretrained(out)
    processor = CLIPProcessor(
        image_processor=CLIPImageProcessor(
            size={"shortest_edge": SIDE}, crop_size={"height": SIDE, "width": SIDE}
        ),
        tokenizer=tiny_tokenizer(),
    )
    processor.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def siglip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import SiglipConfig, SiglipImageProcessor, SiglipModel, SiglipProcessor

    torch.manual_seed(1)
    config = SiglipConfig(
        text_config=text_config(pad_token_id=0, bos_token_id=2, eos_token_id=3),
        vision_config=vision_config(),
    )
    out = tmp_path_factory.mktemp("tiny-siglip")
    SiglipModel(config).save_pretrained(out)
    processor = SiglipProcessor(
        image_processor=SiglipImageProcessor(size={"height": SIDE, "width": SIDE}),
        tokenizer=tiny_tokenizer(bos=False),
    )
    processor.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def siglip2_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import Siglip2Config, Siglip2ImageProcessor, Siglip2Model, Siglip2Processor

    torch.manual_seed(2)
    vision = vision_config(num_patches=16)
    vision.pop("image_size")
    # Siglip2Processor pads text to 64 tokens
    text = text_config(pad_token_id=0, bos_token_id=2, eos_token_id=3, max_position_embeddings=64)
    config = Siglip2Config(
        text_config=text,
        vision_config=vision,
    )
    out = tmp_path_factory.mktemp("tiny-siglip2")
    Siglip2Model(config).save_pretrained(out)
    processor = Siglip2Processor(
        image_processor=Siglip2ImageProcessor(patch_size=8, max_num_patches=16),
        tokenizer=tiny_tokenizer(bos=False),
    )
    processor.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def blip_itm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import (
        BlipConfig,
        BlipForImageTextRetrieval,
        BlipImageProcessor,
        BlipProcessor,
    )

    torch.manual_seed(3)
    config = BlipConfig(
        text_config=text_config(
            encoder_hidden_size=32, pad_token_id=0, bos_token_id=2, sep_token_id=3
        ),
        vision_config=vision_config(),
        projection_dim=16,
        image_text_hidden_size=16,
    )
    out = tmp_path_factory.mktemp("tiny-blip-itm")
    BlipForImageTextRetrieval(config).save_pretrained(out)
    processor = BlipProcessor(
        image_processor=BlipImageProcessor(size={"height": SIDE, "width": SIDE}),
        tokenizer=tiny_tokenizer(),
    )
    processor.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def llava_next_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import (
        CLIPVisionConfig,
        LlamaConfig,
        LlavaNextConfig,
        LlavaNextForConditionalGeneration,
        LlavaNextImageProcessor,
        LlavaNextProcessor,
    )

    torch.manual_seed(4)
    pinpoints = [[SIDE, SIDE], [SIDE, 2 * SIDE], [2 * SIDE, SIDE], [2 * SIDE, 2 * SIDE]]
    config = LlavaNextConfig(
        vision_config=CLIPVisionConfig(**vision_config(projection_dim=32)),
        text_config=LlamaConfig(
            **text_config(max_position_embeddings=512, num_key_value_heads=2),
            pad_token_id=0,
            bos_token_id=2,
            eos_token_id=3,
        ),
        image_token_index=WORDS.index("<image>"),
        image_grid_pinpoints=pinpoints,
        vision_feature_layer=-1,
        vision_feature_select_strategy="default",
    )
    out = tmp_path_factory.mktemp("tiny-llava-next")
    LlavaNextForConditionalGeneration(config).save_pretrained(out)
    tokenizer = tiny_tokenizer(eos=False, max_length=512)
    processor = LlavaNextProcessor(
        image_processor=LlavaNextImageProcessor(
            size={"shortest_edge": SIDE},
            crop_size={"height": SIDE, "width": SIDE},
            image_grid_pinpoints=pinpoints,
        ),
        tokenizer=tokenizer,
        patch_size=8,
        vision_feature_select_strategy="default",
        image_token="<image>",
        num_additional_image_tokens=1,
    )
    processor.save_pretrained(out)
    return out


TINY_OPEN_CLIP = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": SIDE, "layers": 2, "width": 32, "patch_size": 8, "head_width": 16},
    "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 2},
}


@pytest.fixture(scope="session")
def open_clip_arch(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny architecture registered with open_clip under a unique name."""
    import open_clip

    name = "mieb-test-tiny-clip"
    path = tmp_path_factory.mktemp("open-clip-configs") / f"{name}.json"
    path.write_text(json.dumps(TINY_OPEN_CLIP))
    open_clip.add_model_config(path)
    return name


@pytest.fixture(scope="session")
def open_clip_checkpoint(tmp_path_factory: pytest.TempPathFactory, open_clip_arch: str) -> Path:
    import open_clip
    import torch

    torch.manual_seed(5)
    model = open_clip.create_model(open_clip_arch, pretrained=None)
    path = tmp_path_factory.mktemp("open-clip-ckpt") / "epoch_1.pt"
    torch.save({"epoch": 1, "state_dict": model.state_dict()}, path)
    return path


@pytest.fixture(scope="session")
def open_clip_dir(tmp_path_factory: pytest.TempPathFactory, open_clip_checkpoint: Path) -> Path:
    import torch
    from safetensors.torch import save_file

    out = tmp_path_factory.mktemp("open-clip-dir")
    (out / "open_clip_config.json").write_text(
        json.dumps({"model_cfg": TINY_OPEN_CLIP, "preprocess_cfg": {}})
    )
    state = torch.load(open_clip_checkpoint, weights_only=True)["state_dict"]
    save_file({k: v.contiguous() for k, v in state.items()}, out / "open_clip_model.safetensors")
    return out
