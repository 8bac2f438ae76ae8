"""Tiny BLIP image-text retrieval model (transformers `BlipForImageTextRetrieval`), laid out as
Salesforce/blip-itm-base-coco.

Files: `config.json` (`architectures: [BlipForImageTextRetrieval]`) + `model.safetensors`
(random init at `initializer_range` 0.2, as BLIP's defaults, 1e-10 for the vision tower,
would make every image embedding the same: vision tower, text encoder, `vision_proj`,
`text_proj`, `itm_head`); an uncased
BERT WordPiece tokenizer with BLIP's extra tokens (`bos_token` `[DEC]`, `[ENC]`; max length
512); `preprocessor_config.json` (`BlipImageProcessor`: resize to a square, bicubic, no crop,
OpenAI mean/std, convert to RGB) at 32 px instead of 384.
"""

from __future__ import annotations

import json
from pathlib import Path

from tinymodels._write_once import seeded, write_once
from tinymodels.align import write_bert_tokenizer
from tinymodels.clip import OPENAI_MEAN, OPENAI_STD

IMAGE_SIZE = 32


def write_blip_files(out: Path):
    """Tokenizer + preprocessor into `out`; returns a `BlipConfig` sized for them."""
    from transformers import BlipConfig

    vocab_size = write_bert_tokenizer(out, 512, ("[DEC]", "[ENC]"), bos_token="[DEC]",
                                      additional_special_tokens=["[ENC]"])  # fmt: skip
    preprocessor = {
        "do_convert_rgb": True, "do_normalize": True, "do_rescale": True, "do_resize": True,
        "image_mean": OPENAI_MEAN, "image_std": OPENAI_STD,
        "image_processor_type": "BlipImageProcessor", "processor_class": "BlipProcessor",
        "resample": 3, "rescale_factor": 1 / 255,
        "size": {"height": IMAGE_SIZE, "width": IMAGE_SIZE},
    }  # fmt: skip
    (out / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2), "utf-8")
    common = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
              "num_attention_heads": 2, "initializer_range": 0.2}  # fmt: skip
    return BlipConfig(
        text_config={**common, "vocab_size": vocab_size, "encoder_hidden_size": 32,
                     "bos_token_id": vocab_size - 2, "sep_token_id": 3, "pad_token_id": 0},
        vision_config={**common, "image_size": IMAGE_SIZE, "patch_size": 8},
        image_text_hidden_size=16, projection_dim=16, initializer_range=0.2,
    )  # fmt: skip


def build(root: Path, seed: int = 0) -> Path:
    def write(out: Path) -> None:
        from transformers import BlipForImageTextRetrieval

        config = write_blip_files(out)
        seeded(seed)
        BlipForImageTextRetrieval(config).eval().save_pretrained(out)

    return write_once(root, "blip", write)
