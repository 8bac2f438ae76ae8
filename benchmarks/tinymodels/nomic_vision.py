"""nomic-embed-vision v1.5 stand-in: a vision repo and a text repo, both remote-code layouts.

The real towers (NomicVisionModel, NomicBertModel) are remote code from a Hub repo that cannot
be reached here; see `_stand_in_code`. `vision/`: a tiny transformers CLIP vision tower (its own
model type) with `auto_map` to `modeling_stand_in.py` (a `CLIPVisionModel` subclass), and a
`CLIPImageProcessor` config (28 px, bicubic shortest-side resize, centre crop, OpenAI mean/std).
`text/`: a tiny BERT under `nomic_stand_in_text` (a `BertModel` subclass) with an uncased
WordPiece tokenizer. Every 1-D parameter is perturbed, so layer norms are not identities.
"""

from __future__ import annotations

import json
from pathlib import Path

from tinymodels._stand_in_code import use_stand_in_code
from tinymodels._write_once import seeded, write_once
from tinymodels.align import write_bert_tokenizer
from tinymodels.clip import OPENAI_MEAN, OPENAI_STD

IMAGE_SIZE = 28
VISION_CODE = '''"""Stand-in for nomic-embed-vision's remote code (a CLIP ViT; see tinymodels)."""
from transformers import CLIPVisionModel


class StandInVisionModel(CLIPVisionModel):
    pass
'''
TEXT_CODE = '''"""Stand-in for nomic-embed-text's remote code (a plain BERT; see tinymodels)."""
from transformers import BertConfig, BertModel


class StandInTextConfig(BertConfig):
    model_type = "nomic_stand_in_text"


class StandInTextModel(BertModel):
    config_class = StandInTextConfig
'''


def _perturbed(model, seed: int):
    import torch

    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() == 1:
                param.add_(0.1 * torch.randn(param.shape, generator=gen))
    return model.eval()


def build(root: Path, seed: int = 0) -> Path:
    def write(out: Path) -> None:
        from transformers import BertConfig, BertModel, CLIPVisionConfig, CLIPVisionModel

        vision, text = out / "vision", out / "text"
        vision.mkdir()
        text.mkdir()
        seeded(seed)
        _perturbed(CLIPVisionModel(CLIPVisionConfig(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
            image_size=IMAGE_SIZE, patch_size=14, initializer_range=0.2)), seed + 1,
        ).save_pretrained(vision)  # fmt: skip
        use_stand_in_code(vision, "modeling_stand_in", VISION_CODE, None,
                          {"AutoModel": "StandInVisionModel"})  # fmt: skip
        preprocessor = {
            "do_convert_rgb": True, "do_normalize": True, "do_rescale": True, "do_resize": True,
            "do_center_crop": True, "crop_size": {"height": IMAGE_SIZE, "width": IMAGE_SIZE},
            "image_mean": OPENAI_MEAN, "image_std": OPENAI_STD, "resample": 3,
            "image_processor_type": "CLIPImageProcessor", "rescale_factor": 1 / 255,
            "size": {"shortest_edge": IMAGE_SIZE},
        }  # fmt: skip
        (vision / "preprocessor_config.json").write_text(json.dumps(preprocessor), "utf-8")
        vocab_size = write_bert_tokenizer(text, 64)
        _perturbed(BertModel(BertConfig(
            vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=2, max_position_embeddings=64, initializer_range=0.2)), seed + 2,
        ).save_pretrained(text)  # fmt: skip
        classes = {"AutoConfig": "StandInTextConfig", "AutoModel": "StandInTextModel"}
        use_stand_in_code(text, "modeling_stand_in", TEXT_CODE, "nomic_stand_in_text", classes)

    return write_once(root, "nomic_vision", write)
