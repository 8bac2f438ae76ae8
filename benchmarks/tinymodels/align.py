"""Tiny ALIGN (transformers `AlignModel`: EfficientNet + BERT), laid out as kakaobrain/align-base.

Files: `config.json` + `model.safetensors` (random init: EfficientNet at width 0.1, one block
per stage, `hidden_dim` = `projection_dim` = 32, He-initialised convolutions and batch-norm
statistics set on noise; BERT at `initializer_range` 0.2; so that outputs differ visibly between
inputs); an uncased BERT WordPiece tokenizer (`vocab.txt`, `BertTokenizer`, `model_max_length`
64 as the conversion set it); `preprocessor_config.json` as the conversion wrote it
(`EfficientNetImageProcessor`: resize to a square, bilinear, centre crop, rescale 1/127.5 with
offset to [-1, 1], no mean/std normalisation, `include_top: false`), at 40 -> 32 px instead of
346 -> 289.
"""

from __future__ import annotations

import json
from pathlib import Path

from tinymodels._tokenizer_files import bert_wordpiece
from tinymodels._write_once import seeded, write_once


def write_bert_tokenizer(out: Path, model_max_length: int, extra_special: tuple[str, ...] = (),
                         **special: str) -> int:  # fmt: skip
    """An uncased `BertTokenizer` into `out`; returns the vocabulary size."""
    from transformers import BertTokenizer

    tokens = bert_wordpiece(extra_special)
    (out / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
    tok = BertTokenizer(vocab=str(out / "vocab.txt"), do_lower_case=True,
                        model_max_length=model_max_length, **special)  # fmt: skip
    tok.save_pretrained(out)
    return len(tokens)


def _lively_convnet(module, image_size: int) -> None:
    """Re-draw conv weights (He init) and batch-norm affine terms, then set the batch-norm
    running statistics from one forward pass on seeded noise, so that activations neither
    vanish (the 0.02 default makes a 7-block net output ~1e-30) nor all look alike."""
    import torch

    norms = [m for m in module.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, torch.nn.Conv2d):
                layer.weight.normal_(0.0, (2.0 / layer.weight[0].numel()) ** 0.5)
        for norm in norms:
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.normal_(0.0, 0.1)
            norm.reset_running_stats()
            norm.momentum, norm.saved_momentum = None, norm.momentum  # cumulative average
        module.train()
        module(pixel_values=torch.randn(16, 3, image_size, image_size))
        module.eval()
        for norm in norms:
            norm.momentum = norm.saved_momentum
            del norm.saved_momentum


def build(root: Path, seed: int = 0) -> Path:
    def write(out: Path) -> None:
        from transformers import AlignConfig, AlignModel

        vocab_size = write_bert_tokenizer(out, model_max_length=64)
        preprocessor = {
            "crop_size": {"height": 32, "width": 32}, "do_center_crop": True,
            "do_normalize": False, "do_rescale": True, "do_resize": True,
            "image_mean": [0.485, 0.456, 0.406], "image_std": [0.47853944, 0.4732864, 0.47434163],
            "image_processor_type": "EfficientNetImageProcessor", "include_top": False,
            "processor_class": "AlignProcessor", "resample": 2, "rescale_factor": 1 / 127.5,
            "rescale_offset": True, "size": {"height": 40, "width": 40},
        }  # fmt: skip
        (out / "preprocessor_config.json").write_text(json.dumps(preprocessor, indent=2), "utf-8")
        config = AlignConfig(
            text_config={"vocab_size": vocab_size, "hidden_size": 32, "intermediate_size": 64,
                         "num_hidden_layers": 2, "num_attention_heads": 2,
                         "initializer_range": 0.2},
            vision_config={"image_size": 32, "width_coefficient": 0.1, "depth_coefficient": 0.1,
                           "hidden_dim": 32, "depthwise_padding": []},
            projection_dim=32,
        )  # fmt: skip
        seeded(seed)
        model = AlignModel(config).eval()
        _lively_convnet(model.vision_model, image_size=32)
        model.save_pretrained(out)

    return write_once(root, "align", write)
