"""The Qwen2-VL / Qwen2.5-VL pieces the tiny ColQwen checkpoints share: tokenizer and processor.

The tokenizer is a byte-level BPE in a `Qwen2Tokenizer` with the Qwen2-VL special tokens
(`<|endoftext|>` = pad, `<|im_end|>` = eos, vision markers); the image processor is a
`Qwen2VLImageProcessor` (patch 14, merge 2, temporal patch 2, OpenAI CLIP mean/std) with a small
pixel budget so that the probe images give a handful of visual tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinymodels._checkpoints import write_json
from tinymodels._tokenizers import byte_level_bpe

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
           "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>"]  # fmt: skip
MIN_PIXELS, MAX_PIXELS = 4 * 28 * 28, 64 * 28 * 28
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
#: A text decoder of 64 dims, 2 layers, 4 heads, 2 KV heads; M-RoPE sections sum to head_dim/2.
TEXT_CONFIG: dict[str, Any] = dict(
    hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
    num_key_value_heads=2, max_position_embeddings=4096, tie_word_embeddings=False,
    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0,
                     "mrope_section": [2, 3, 3]},
)  # fmt: skip


def tokenizer():
    from transformers import Qwen2Tokenizer

    return Qwen2Tokenizer(
        tokenizer_object=byte_level_bpe(SPECIAL), unk_token=None, bos_token=None,
        eos_token="<|im_end|>", pad_token="<|endoftext|>",
        additional_special_tokens=SPECIAL[1:], padding_side="left",
    )  # fmt: skip


def token_ids(tok) -> dict[str, int]:
    """The config fields that name special token ids."""
    ids = {t: tok.convert_tokens_to_ids(t) for t in SPECIAL}
    return dict(
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
    )  # fmt: skip


def save_processor(out: Path, tok, processor_class: str) -> None:
    """Tokenizer files and a transformers-4 style `preprocessor_config.json` (as the vidore repos).

    Qwen2-VL processors of that era store the pixel budget as `min_pixels` / `max_pixels`;
    transformers 5 reads them into `size = {shortest_edge, longest_edge}`.
    """
    tok.save_pretrained(out)
    write_json(out / "preprocessor_config.json", {
        "do_convert_rgb": True, "do_normalize": True, "do_rescale": True, "do_resize": True,
        "image_mean": CLIP_MEAN, "image_std": CLIP_STD,
        "image_processor_type": "Qwen2VLImageProcessor", "merge_size": 2, "patch_size": 14,
        "temporal_patch_size": 2, "min_pixels": MIN_PIXELS, "max_pixels": MAX_PIXELS,
        "processor_class": processor_class, "resample": 3, "rescale_factor": 1 / 255,
    })  # fmt: skip
