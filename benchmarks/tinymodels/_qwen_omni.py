"""A tiny Qwen2.5-Omni *thinker* (transformers `Qwen2_5OmniThinkerForConditionalGeneration`) with
its `Qwen2_5OmniProcessor`, written into a directory: the backbone of e5-omni and OmniEmbed.

Tokenizer: byte-level BPE (`Qwen2TokenizerFast`) with Qwen2.5-Omni's special tokens, right
padding, eos `<|im_end|>`, pad `<|endoftext|>`; chat template: Qwen2.5-Omni's (default system
prompt "You are a helpful assistant.", vision/audio placeholders). Image processor: Qwen2-VL's
(min 4, max 64 patches of 28x28); video processor; Whisper feature extractor (128 mel bins).
Model: text width 64, 2 layers, M-RoPE; vision 2 blocks of width 32; audio 1 layer.
"""

from __future__ import annotations

from pathlib import Path

from tinymodels._tokenizer_files import byte_level_bpe

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|AUDIO|>", "<|audio_bos|>",
           "<|audio_eos|>", "<|IMAGE|>", "<|VIDEO|>", "<|vision_bos|>", "<|vision_eos|>",
           "<|vision_pad|>"]  # fmt: skip

CHAT_TEMPLATE = (
    "{% set audio_count = namespace(value=0) %}{% set image_count = namespace(value=0) %}"
    "{% set video_count = namespace(value=0) %}{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\n"
    "You are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n{% else %}"
    "{% for content in message['content'] %}"
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
TEXT_WIDTH = 64


def write_processor(out: Path) -> dict[str, int]:
    """Tokenizer, image/video processors, feature extractor, chat template into `out`;
    returns the special tokens' ids."""
    from transformers import (
        Qwen2_5OmniProcessor,
        Qwen2TokenizerFast,
        Qwen2VLImageProcessor,
        Qwen2VLVideoProcessor,
        WhisperFeatureExtractor,
    )  # fmt: skip

    names = {"image_token": "<|IMAGE|>", "audio_token": "<|AUDIO|>", "video_token": "<|VIDEO|>",
             "vision_bos_token": "<|vision_bos|>", "vision_eos_token": "<|vision_eos|>",
             "audio_bos_token": "<|audio_bos|>", "audio_eos_token": "<|audio_eos|>"}  # fmt: skip
    tok = Qwen2TokenizerFast(
        tokenizer_object=byte_level_bpe(SPECIAL), eos_token="<|im_end|>",
        pad_token="<|endoftext|>", additional_special_tokens=SPECIAL[1:], padding_side="right",
        extra_special_tokens=names, model_max_length=32768,
    )  # fmt: skip
    processor = Qwen2_5OmniProcessor(
        image_processor=Qwen2VLImageProcessor(min_pixels=4 * 28 * 28, max_pixels=64 * 28 * 28),
        video_processor=Qwen2VLVideoProcessor(),
        feature_extractor=WhisperFeatureExtractor(feature_size=128),
        tokenizer=tok, chat_template=CHAT_TEMPLATE,
    )  # fmt: skip
    processor.save_pretrained(out)
    return {t: tok.convert_tokens_to_ids(t) for t in SPECIAL} | {"vocab_size": len(tok)}


def thinker_config(ids: dict[str, int]):
    from transformers import Qwen2_5OmniThinkerConfig

    return Qwen2_5OmniThinkerConfig(
        audio_config={"num_mel_bins": 128, "encoder_layers": 1, "encoder_attention_heads": 2,
                      "encoder_ffn_dim": 64, "d_model": 32, "output_dim": TEXT_WIDTH,
                      "n_window": 100},
        vision_config={"depth": 2, "hidden_size": 32, "intermediate_size": 64, "num_heads": 2,
                       "out_hidden_size": TEXT_WIDTH, "fullatt_block_indexes": [1],
                       "window_size": 112},
        text_config={"vocab_size": ids["vocab_size"], "hidden_size": TEXT_WIDTH,
                     "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
                     "num_key_value_heads": 2,
                     "rope_parameters": {"rope_type": "default", "rope_theta": 1e6,
                                         "mrope_section": [2, 3, 3]},
                     "pad_token_id": ids["<|endoftext|>"], "eos_token_id": ids["<|im_end|>"]},
        audio_token_index=ids["<|AUDIO|>"], image_token_index=ids["<|IMAGE|>"],
        video_token_index=ids["<|VIDEO|>"], audio_start_token_id=ids["<|audio_bos|>"],
        audio_end_token_id=ids["<|audio_eos|>"], user_token_id=ids["<|im_start|>"],
        vision_start_token_id=ids["<|vision_bos|>"], vision_end_token_id=ids["<|vision_eos|>"],
    )  # fmt: skip


def write_thinker(out: Path, seed: int) -> dict[str, int]:
    """Processor files and a random thinker (`config.json`, `model.safetensors`) into `out`."""
    import torch
    from transformers import Qwen2_5OmniThinkerForConditionalGeneration

    ids = write_processor(out)
    torch.manual_seed(seed)
    model = Qwen2_5OmniThinkerForConditionalGeneration(thinker_config(ids)).eval()
    model.save_pretrained(out)
    return ids
