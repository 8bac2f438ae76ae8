"""Tiny SigLIP (transformers `SiglipModel`), laid out as google/siglip-base-patch16-224.

Files: `config.json` + `model.safetensors` (random init); `spiece.model` (a SentencePiece
unigram model written by hand) with `tokenizer_config.json` (`SiglipTokenizer`, lower-case,
`model_max_length` 64, pad = eos = `</s>`, `model_input_names: ["input_ids"]`, so no attention
mask reaches the text tower, as the google repos configure it); `preprocessor_config.json`
(`SiglipImageProcessor`: resize to a square, bicubic, no crop, mean = std = 0.5).
SigLIP pools the text at the last position, so `padding="max_length"` matters.
"""

from __future__ import annotations

import json
from pathlib import Path

from tinymodels._tokenizer_files import CONTROL, UNKNOWN, corpus_words, sentencepiece_unigram
from tinymodels._write_once import seeded, write_once

MAX_TEXT = 64


def write_siglip_files(out: Path, image_size: int, extra_words: tuple[str, ...] = ()) -> int:
    """Tokenizer and preprocessor files into `out`; returns the vocabulary size."""
    words = sorted(set(corpus_words()) | set(extra_words))
    spiece = sentencepiece_unigram([("<pad>", CONTROL), ("</s>", CONTROL), ("<unk>", UNKNOWN)],
                                   words)  # fmt: skip
    (out / "spiece.model").write_bytes(spiece)
    tokenizer_config = {
        "tokenizer_class": "SiglipTokenizer", "processor_class": "SiglipProcessor",
        "do_lower_case": True, "eos_token": "</s>", "pad_token": "</s>", "unk_token": "<unk>",
        "additional_special_tokens": [], "model_input_names": ["input_ids"],
        "model_max_length": MAX_TEXT, "sp_model_kwargs": {},
    }  # fmt: skip
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2), "utf-8")
    special = {"eos_token": "</s>", "pad_token": "</s>", "unk_token": "<unk>"}
    (out / "special_tokens_map.json").write_text(json.dumps(special, indent=2), "utf-8")
    preprocessor = {
        "do_normalize": True, "do_rescale": True, "do_resize": True,
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
        "image_processor_type": "SiglipImageProcessor", "processor_class": "SiglipProcessor",
        "resample": 3, "rescale_factor": 1 / 255,
        "size": {"height": image_size, "width": image_size},
    }  # fmt: skip
    (out / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2), "utf-8")
    return _piece_count(spiece)


def _piece_count(spiece: bytes) -> int:
    # Every top-level field-1 record is one piece; count them by walking the wire format.
    count, i = 0, 0
    while i < len(spiece):
        key, i = _read_varint(spiece, i)
        length, i = _read_varint(spiece, i)
        count += key >> 3 == 1
        i += length
    return count


def _read_varint(data: bytes, i: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def write_siglip(out: Path, seed: int, image_size: int, extra_words: tuple[str, ...] = ()) -> None:
    from transformers import SiglipConfig, SiglipModel

    vocab_size = write_siglip_files(out, image_size, extra_words)
    common = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
              "num_attention_heads": 2}  # fmt: skip
    config = SiglipConfig(
        text_config={**common, "vocab_size": vocab_size, "max_position_embeddings": MAX_TEXT,
                     "pad_token_id": 1, "eos_token_id": 1},
        vision_config={**common, "image_size": image_size, "patch_size": 8},
    )  # fmt: skip
    seeded(seed)
    SiglipModel(config).eval().save_pretrained(out)


def build(root: Path, seed: int = 0) -> Path:
    return write_once(root, "siglip", lambda out: write_siglip(out, seed, image_size=32))
