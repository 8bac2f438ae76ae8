"""Tiny openai-style CLIP (transformers `CLIPModel`), laid out as openai/clip-vit-base-patch32.

Files: `config.json` + `model.safetensors` (random init), the CLIP BPE tokenizer (`vocab.json`,
`merges.txt`, `tokenizer.json`, `tokenizer_config.json`, `special_tokens_map.json`; max length
77), and a legacy `preprocessor_config.json` (`feature_extractor_type: CLIPFeatureExtractor`,
int `size`/`crop_size`, bicubic, OpenAI mean/std) as the openai repos have it. Like the real
config, `text_config.eos_token_id` is the legacy 2, so CLIP pools the text at argmax(input_ids)
(`<|endoftext|>` is the highest id). quick_gelu, 32x32 images, patch 8, width 32, 2 layers.
"""

from __future__ import annotations

import json
from pathlib import Path

from tinymodels._tokenizer_files import clip_bpe
from tinymodels._write_once import seeded, write_once

OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_STD = [0.26862954, 0.26130258, 0.27577711]
IMAGE_SIZE = 32


def write_clip_tokenizer(out: Path) -> int:
    """CLIP tokenizer files into `out`; returns the vocabulary size."""
    from transformers import CLIPTokenizer

    vocab, merges = clip_bpe()
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (out / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", "utf-8")
    tok = CLIPTokenizer(
        vocab=str(out / "vocab.json"), merges=str(out / "merges.txt"),
        unk_token="<|endoftext|>", bos_token="<|startoftext|>", eos_token="<|endoftext|>",
        pad_token="<|endoftext|>", model_max_length=77,
    )  # fmt: skip
    tok.save_pretrained(out)
    return len(vocab)


def write_clip_preprocessor(out: Path, size: int = IMAGE_SIZE) -> None:
    """The openai repos' legacy preprocessor_config.json (shortest edge, then centre crop)."""
    config = {
        "crop_size": size, "do_center_crop": True, "do_normalize": True, "do_resize": True,
        "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": OPENAI_MEAN,
        "image_std": OPENAI_STD, "resample": 3, "size": size,
    }  # fmt: skip
    (out / "preprocessor_config.json").write_text(json.dumps(config, indent=2), "utf-8")


def tiny_clip_config(vocab_size: int):
    from transformers import CLIPConfig

    common = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
              "num_attention_heads": 2, "hidden_act": "quick_gelu"}  # fmt: skip
    return CLIPConfig(
        text_config={**common, "vocab_size": vocab_size, "max_position_embeddings": 77,
                     "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1},
        vision_config={**common, "image_size": IMAGE_SIZE, "patch_size": 8},
        projection_dim=16,
    )  # fmt: skip


def build(root: Path, seed: int = 0) -> Path:
    def write(out: Path) -> None:
        from transformers import CLIPModel

        vocab_size = write_clip_tokenizer(out)
        write_clip_preprocessor(out)
        seeded(seed)
        CLIPModel(tiny_clip_config(vocab_size)).eval().save_pretrained(out)

    return write_once(root, "clip", write)
