"""Tiny LCO-Embedding-Omni checkpoint (`LCO-Embedding/LCO-Embedding-Omni-3B` / `-7B` layout).

The LCO repos are Qwen2.5-Omni *thinker* checkpoints (`Qwen2_5OmniThinkerForConditionalGeneration`:
audio encoder, vision encoder, Qwen2 text decoder with M-RoPE) with a `Qwen2_5OmniProcessor`
(Qwen2-VL image processor, Qwen2-VL video processor, Whisper feature extractor, Qwen2 tokenizer,
the Qwen2.5-Omni chat template). mteb's wrapper only runs on transformers 5 here, so the files are
written by transformers 5's own `save_pretrained`.

Tiny sizes: text 64-d, 2 layers, M-RoPE sections [2, 3, 3]; vision 32-d, depth 2 (block 1 full
attention, window 112), patch 14, merge 2; audio 1 layer, 32-d, 128 mel bins. Image processor
min/max pixels 4 * 28 * 28 / 5 * 28 * 28 (the real Qwen2.5-Omni: 3136 / 12845056), so the largest
probe image is scaled down. Weights are rounded to be exact in bfloat16 (the wrapper loads bf16).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tinymodels import _byte_bpe, _half_exact

SPECIAL_TOKENS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|AUDIO|>", "<|audio_bos|>", "<|audio_eos|>",
    "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_bos|>", "<|vision_eos|>",
    "<|vision_pad|>", "<|IMAGE|>", "<|VIDEO|>",
]  # fmt: skip
NAMED_TOKENS = {
    "image_token": "<|IMAGE|>", "audio_token": "<|AUDIO|>", "video_token": "<|VIDEO|>",
    "vision_bos_token": "<|vision_bos|>", "vision_eos_token": "<|vision_eos|>",
    "audio_bos_token": "<|audio_bos|>", "audio_eos_token": "<|audio_eos|>",
}  # fmt: skip
MIN_PIXELS, MAX_PIXELS = 4 * 28 * 28, 5 * 28 * 28
HIDDEN = 64

# Qwen2.5-Omni's chat template: default system prompt; image/audio/video placeholders in order.
CHAT_TEMPLATE = (
    "{% set audio_count = namespace(value=0) %}{% set image_count = namespace(value=0) %}"
    "{% set video_count = namespace(value=0) %}{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_bos|><|IMAGE|><|vision_eos|>"
    "{% elif content['type'] == 'audio' or 'audio' in content or 'audio_url' in content %}"
    "{% set audio_count.value = audio_count.value + 1 %}"
    "{% if add_audio_id %}Audio {{ audio_count.value }}: {% endif %}"
    "<|audio_bos|><|AUDIO|><|audio_eos|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_bos|><|VIDEO|><|vision_eos|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _processor(directory: Path) -> dict[str, int]:
    from transformers import (
        Qwen2_5OmniProcessor,
        Qwen2TokenizerFast,
        Qwen2VLImageProcessor,
        Qwen2VLVideoProcessor,
        WhisperFeatureExtractor,
    )

    bpe = _byte_bpe.train(SPECIAL_TOKENS)
    tok = Qwen2TokenizerFast(
        tokenizer_object=bpe,
        unk_token=None,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=SPECIAL_TOKENS[1:],
        extra_special_tokens=NAMED_TOKENS,
        model_max_length=32768,
    )
    processor = Qwen2_5OmniProcessor(
        image_processor=Qwen2VLImageProcessor(min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS),
        video_processor=Qwen2VLVideoProcessor(),
        feature_extractor=WhisperFeatureExtractor(feature_size=128),
        tokenizer=tok,
        chat_template=CHAT_TEMPLATE,
    )
    processor.save_pretrained(directory)
    return {t: bpe.token_to_id(t) for t in SPECIAL_TOKENS} | {"vocab": bpe.get_vocab_size()}


def _model(directory: Path, ids: dict[str, int], seed: int) -> None:
    import torch
    from transformers import (
        Qwen2_5OmniThinkerConfig,
        Qwen2_5OmniThinkerForConditionalGeneration,
    )

    config = Qwen2_5OmniThinkerConfig(
        audio_config={
            "num_mel_bins": 128, "encoder_layers": 1, "encoder_attention_heads": 2,
            "encoder_ffn_dim": 64, "d_model": 32, "output_dim": HIDDEN, "n_window": 100,
        },
        vision_config={
            "depth": 2, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2,
            "out_hidden_size": HIDDEN, "fullatt_block_indexes": [1], "window_size": 112,
            "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2,
        },
        text_config={
            "vocab_size": ids["vocab"], "hidden_size": HIDDEN, "intermediate_size": 128,
            "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
            "max_position_embeddings": 32768,
            "rope_parameters": {
                "rope_type": "default", "rope_theta": 1000000.0, "mrope_section": [2, 3, 3],
            },
            "pad_token_id": ids["<|endoftext|>"], "eos_token_id": ids["<|im_end|>"],
        },
        audio_token_index=ids["<|AUDIO|>"],
        image_token_index=ids["<|IMAGE|>"],
        video_token_index=ids["<|VIDEO|>"],
        audio_start_token_id=ids["<|audio_bos|>"],
        audio_end_token_id=ids["<|audio_eos|>"],
        vision_start_token_id=ids["<|vision_bos|>"],
        vision_end_token_id=ids["<|vision_eos|>"],
        user_token_id=ids["<|im_start|>"],
    )  # fmt: skip
    torch.manual_seed(seed)
    model = Qwen2_5OmniThinkerForConditionalGeneration(config).eval().float()
    _half_exact.round_weights(model).save_pretrained(directory, safe_serialization=True)


def build(root: Path, seed: int = 0) -> Path:
    """Write (or reuse) `root/lco`."""
    directory = Path(root) / "lco"
    if (directory / "model.safetensors").is_file():
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="lco.", dir=directory.parent))
    _model(staging, _processor(staging), seed)
    if directory.exists():
        shutil.rmtree(directory)
    staging.rename(directory)
    return directory
