"""Tiny BLIP-2 stage-1 Q-Former model (transformers `Blip2ForImageTextRetrieval`), laid out as
Salesforce/blip2-itm-vit-g (the transformers conversion of LAVIS's `Blip2ITM` "pretrain" weights,
which mteb's BLIP-2 recipe loads for `Salesforce/blip2-opt-2.7b`).

Files: `config.json` + `model.safetensors` (EVA-style ViT with q/v biases, 2 layers, 28 px,
patch 14; Q-Former 2 layers with cross-attention in every layer, 4 query tokens; every 1-D
parameter perturbed so that no norm or bias stays at 1 or 0 and hides a mapping error); an
uncased BERT WordPiece tokenizer with LAVIS's `[DEC]` bos token; `preprocessor_config.json`
(`BlipImageProcessor`: square bicubic resize, no crop, OpenAI mean/std, RGB) at 28 px. The same
directory stands for the opt repo, whose image processor mteb's recipe uses.
"""

from __future__ import annotations

import json
from pathlib import Path

from tinymodels._write_once import seeded, write_once
from tinymodels.align import write_bert_tokenizer
from tinymodels.clip import OPENAI_MEAN, OPENAI_STD

IMAGE_SIZE = 28


def _config(vocab_size: int):
    from transformers import Blip2Config

    return Blip2Config(
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                       "num_attention_heads": 2, "image_size": IMAGE_SIZE, "patch_size": 14,
                       "qkv_bias": True, "initializer_range": 0.2},
        qformer_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                        "num_attention_heads": 2, "vocab_size": vocab_size,
                        "encoder_hidden_size": 32, "cross_attention_frequency": 1,
                        "max_position_embeddings": 512, "pad_token_id": 0,
                        "use_qformer_text_input": True, "initializer_range": 0.2},
        num_query_tokens=4, image_text_hidden_size=16,
    )  # fmt: skip


def build(root: Path, seed: int = 0) -> Path:
    def write(out: Path) -> None:
        import torch
        from transformers import Blip2ForImageTextRetrieval

        vocab_size = write_bert_tokenizer(out, 512, ("[DEC]",), bos_token="[DEC]")
        preprocessor = {
            "do_convert_rgb": True, "do_normalize": True, "do_rescale": True, "do_resize": True,
            "image_mean": OPENAI_MEAN, "image_std": OPENAI_STD,
            "image_processor_type": "BlipImageProcessor", "processor_class": "Blip2Processor",
            "resample": 3, "rescale_factor": 1 / 255,
            "size": {"height": IMAGE_SIZE, "width": IMAGE_SIZE},
        }  # fmt: skip
        (out / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2), "utf-8")
        seeded(seed)
        model = Blip2ForImageTextRetrieval(_config(vocab_size)).eval()
        gen = torch.Generator().manual_seed(seed + 1)
        with torch.no_grad():
            for param in model.parameters():
                if param.dim() == 1:
                    param.add_(0.1 * torch.randn(param.shape, generator=gen))
            model.query_tokens.normal_(0.0, 0.5, generator=gen)
        model.save_pretrained(out)

    return write_once(root, "blip2", write)
