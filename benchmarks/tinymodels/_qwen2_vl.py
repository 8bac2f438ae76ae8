"""A tiny Qwen2-VL checkpoint in the layout of `Qwen/Qwen2-VL-2B-Instruct` (transformers 4.x era).

Shared by the families built on Qwen2-VL (GME, VLM2Vec-V2). The real repos were written by
transformers 4.4x: a flat config.json (text fields at the top, `vision_config` nested,
`rope_scaling = {"type": "mrope", ...}`), weights named `model.layers.*` / `visual.*`, and the
processor as preprocessor_config.json + tokenizer files + chat_template.json. That layout loads in
transformers 4.44 - 5.x alike, which the families need (GME's mteb wrapper only runs on < 4.52).

Sizes: text 64-d, 2 layers, 4 heads (2 kv), M-RoPE sections [2, 3, 3]; vision 32-d, depth 2,
patch 14, merge 2. The image processor's `max_pixels` is 5 * 28 * 28 so that the largest probe
image (96 x 64) is scaled down and the smallest ones are scaled up to `min_pixels`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from tinymodels import _byte_bpe, _half_exact

SPECIAL_TOKENS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
    "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>",
]  # fmt: skip

MIN_PIXELS = 4 * 28 * 28
MAX_PIXELS = 5 * 28 * 28
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

# Qwen2-VL's chat template: default system prompt, one <|vision_start|><|image_pad|>... per image.
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

TEXT = {
    "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 32768,
    "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "hidden_act": "silu",
    "rope_scaling": {"type": "mrope", "mrope_section": [2, 3, 3]},  # sums to head_dim / 2
}  # fmt: skip
VISION = {
    "depth": 2, "embed_dim": 32, "hidden_size": 64, "num_heads": 2, "mlp_ratio": 2,
    "patch_size": 14, "spatial_patch_size": 14, "spatial_merge_size": 2,
    "temporal_patch_size": 2, "in_chans": 3, "in_channels": 3, "hidden_act": "quick_gelu",
}  # fmt: skip


def token_ids(tok: Any) -> dict[str, int]:
    return {t: tok.token_to_id(t) for t in SPECIAL_TOKENS}


def legacy_config(ids: dict[str, int], vocab_size: int) -> dict[str, Any]:
    """config.json as the transformers 4.4x Qwen2-VL repos have it (flat text fields)."""
    return {
        "architectures": ["Qwen2VLForConditionalGeneration"],
        "model_type": "qwen2_vl",
        "attention_dropout": 0.0,
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "pad_token_id": ids["<|endoftext|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision_end_token_id": ids["<|vision_end|>"],
        "vision_token_id": ids["<|vision_pad|>"],
        "image_token_id": ids["<|image_pad|>"],
        "video_token_id": ids["<|video_pad|>"],
        **TEXT,
        "initializer_range": 0.02,
        "max_window_layers": TEXT["num_hidden_layers"],
        "sliding_window": 32768,
        "use_sliding_window": False,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
        "transformers_version": "4.45.0.dev0",
        "use_cache": True,
        "vision_config": dict(VISION),
        "vocab_size": vocab_size,
    }


def tokenizer_config(padding_side: str | None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "additional_special_tokens": SPECIAL_TOKENS[1:],
        "bos_token": None,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": 32768,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }
    if padding_side:
        config["padding_side"] = padding_side
    return config


def preprocessor_config() -> dict[str, Any]:
    return {
        "min_pixels": MIN_PIXELS,
        "max_pixels": MAX_PIXELS,
        "patch_size": VISION["patch_size"],
        "temporal_patch_size": VISION["temporal_patch_size"],
        "merge_size": VISION["spatial_merge_size"],
        "image_mean": CLIP_MEAN,
        "image_std": CLIP_STD,
        "image_processor_type": "Qwen2VLImageProcessor",
        "processor_class": "Qwen2VLProcessor",
    }


#: Qwen2's pre-tokenizer split (tokenizer.json of the real repos): digits one by one, etc.
#: transformers 5's `Qwen2Tokenizer` imposes it whatever tokenizer.json says, 4.x reads the file,
#: so the tiny tokenizer carries it too (else the two versions tokenise "2021" differently).
QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def qwen2_pre_tokenizer() -> Any:
    from tokenizers import Regex, pre_tokenizers

    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])  # fmt: skip


def write_processor(directory: Path, padding_side: str | None) -> dict[str, int]:
    """Tokenizer + image processor + chat template files; returns the special token ids."""
    tok = _byte_bpe.train(SPECIAL_TOKENS)
    tok.pre_tokenizer = qwen2_pre_tokenizer()
    _byte_bpe.write_tokenizer(directory, tok, SPECIAL_TOKENS, tokenizer_config(padding_side))
    _byte_bpe.write_json(directory / "preprocessor_config.json", preprocessor_config())
    _byte_bpe.write_json(directory / "chat_template.json", {"chat_template": CHAT_TEMPLATE})
    return {**token_ids(tok), "vocab_size": tok.get_vocab_size()}


def random_model(config: dict[str, Any], seed: int) -> Any:
    """A randomly initialised `Qwen2VLForConditionalGeneration` for `config` (legacy form)."""
    import torch
    from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration

    torch.manual_seed(seed)
    model = Qwen2VLForConditionalGeneration(Qwen2VLConfig(**config)).eval()
    return _half_exact.round_weights(model.to(torch.float32))


def write_checkpoint(directory: Path, seed: int, padding_side: str | None = None) -> Path:
    """Write a complete Qwen2-VL checkpoint to `directory` (reused when already complete)."""
    if (directory / "config.json").is_file() and (directory / "model.safetensors").is_file():
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=directory.name + ".", dir=directory.parent))
    ids = write_processor(staging, padding_side)
    config = legacy_config(ids, ids["vocab_size"])
    random_model(config, seed).save_pretrained(staging, safe_serialization=True)
    # save_pretrained writes transformers 5's nested config; the real repos hold the flat one.
    _byte_bpe.write_json(staging / "config.json", config)
    if directory.exists():
        shutil.rmtree(directory)
    staging.rename(directory)
    return directory
