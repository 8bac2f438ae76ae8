"""Tiny E5-V checkpoint (`royokong/e5-v` layout: LLaVA-NeXT on Llama 3, transformers 4.4x era).

The real repo is a `LlavaNextForConditionalGeneration` converted with transformers ~4.41: nested
text (llama) and vision (CLIP) configs, `image_token_index`, weights named
`language_model.model.*`, `language_model.lm_head`, `vision_tower.vision_model.*`,
`multi_modal_projector.*`, `image_newline`; a Llama-3 byte-level BPE tokenizer whose
post-processor prepends `<|begin_of_text|>`, with `<image>` and `<pad>` added after the vocabulary;
a `LlavaNextImageProcessor` (CLIP mean/std, anyres grid pinpoints); no processor_config.json (so
transformers 4.44's processor leaves the single `<image>` token unexpanded and the model merges
the image features itself). mteb pins transformers <= 4.44.2 for this wrapper, so the files are
written in that layout by hand.

Tiny sizes: Llama 64-d, 2 layers; CLIP 32-d, 2 layers, image 28, patch 14; pinpoints are the
real ones scaled from 336 to 28. The tokenizer pads on the left (the real tokenizer's side could
not be read offline; E5-V's last-position pooling is only right with left padding).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from tinymodels import _byte_bpe, _half_exact

SPECIAL_TOKENS = [
    "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
    "<|eot_id|>", "<image>", "<pad>",
]  # fmt: skip
IMAGE_SIZE, PATCH = 28, 14
PINPOINTS = [[28, 56], [56, 28], [56, 56], [84, 28], [28, 84]]  # real: x12 (336-based)
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def _tokenizer(directory: Path) -> dict[str, int]:
    from tokenizers import processors

    tok = _byte_bpe.train(SPECIAL_TOKENS)
    bos = tok.token_to_id("<|begin_of_text|>")
    tok.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A",
        pair="<|begin_of_text|> $A <|begin_of_text|> $B",
        special_tokens=[("<|begin_of_text|>", bos)],
    )
    config = {
        "bos_token": "<|begin_of_text|>",
        "eos_token": "<|eot_id|>",
        "pad_token": "<pad>",
        "padding_side": "left",
        "clean_up_tokenization_spaces": True,
        "model_input_names": ["input_ids", "attention_mask"],
        "model_max_length": 8192,
        "processor_class": "LlavaNextProcessor",
        "tokenizer_class": "PreTrainedTokenizerFast",
    }
    _byte_bpe.write_tokenizer(directory, tok, SPECIAL_TOKENS, config)
    return {**{t: tok.token_to_id(t) for t in SPECIAL_TOKENS}, "vocab_size": tok.get_vocab_size()}


def _preprocessor() -> dict[str, Any]:
    return {
        "crop_size": {"height": IMAGE_SIZE, "width": IMAGE_SIZE},
        "do_center_crop": True,
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_pad": True,
        "do_rescale": True,
        "do_resize": True,
        "image_grid_pinpoints": PINPOINTS,
        "image_mean": CLIP_MEAN,
        "image_std": CLIP_STD,
        "image_processor_type": "LlavaNextImageProcessor",
        "processor_class": "LlavaNextProcessor",
        "resample": 3,
        "rescale_factor": 1 / 255,
        "size": {"shortest_edge": IMAGE_SIZE},
    }


def _config(ids: dict[str, int]) -> dict[str, Any]:
    text = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "vocab_size": ids["vocab_size"], "hidden_size": 64, "intermediate_size": 128,
        "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "max_position_embeddings": 8192, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
        "hidden_act": "silu", "bos_token_id": ids["<|begin_of_text|>"],
        "eos_token_id": ids["<|eot_id|>"], "pad_token_id": ids["<pad>"],
        "tie_word_embeddings": False, "torch_dtype": "float32",
    }  # fmt: skip
    vision = {
        "model_type": "clip_vision_model", "hidden_size": 32, "intermediate_size": 64,
        "num_hidden_layers": 2, "num_attention_heads": 2, "image_size": IMAGE_SIZE,
        "patch_size": PATCH, "projection_dim": 32, "hidden_act": "quick_gelu",
        "layer_norm_eps": 1e-5,
    }  # fmt: skip
    return {
        "architectures": ["LlavaNextForConditionalGeneration"],
        "model_type": "llava_next",
        "ignore_index": -100,
        "image_grid_pinpoints": PINPOINTS,
        "image_token_index": ids["<image>"],
        "pad_token_id": ids["<pad>"],
        "projector_hidden_act": "gelu",
        "text_config": text,
        "vision_config": vision,
        "vision_feature_layer": -2,
        "vision_feature_select_strategy": "default",
        "use_image_newline_parameter": True,
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "transformers_version": "4.41.0.dev0",
    }


def _legacy_name(name: str) -> str:
    """transformers 5 parameter names -> the 4.4x names the real repo's weights carry."""
    for new, old in (
        ("model.language_model.", "language_model.model."),
        ("lm_head.", "language_model.lm_head."),
        ("model.vision_tower.", "vision_tower.vision_model."),
        ("model.multi_modal_projector.", "multi_modal_projector."),
        ("model.image_newline", "image_newline"),
    ):
        if name.startswith(new):
            return old + name[len(new) :]
    raise ValueError(f"unexpected parameter {name}")


def _weights(config: dict[str, Any], seed: int) -> dict[str, Any]:
    import torch
    from transformers import LlavaNextConfig, LlavaNextForConditionalGeneration

    torch.manual_seed(seed)
    model = LlavaNextForConditionalGeneration(LlavaNextConfig(**config)).eval().float()
    _half_exact.round_weights(model)
    return {_legacy_name(k): v.contiguous() for k, v in model.state_dict().items()}


def build(root: Path, seed: int = 0) -> Path:
    """Write (or reuse) `root/e5v`."""
    from safetensors.torch import save_file

    directory = Path(root) / "e5v"
    if (directory / "model.safetensors").is_file():
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="e5v.", dir=directory.parent))
    ids = _tokenizer(staging)
    _byte_bpe.write_json(staging / "preprocessor_config.json", _preprocessor())
    config = _config(ids)
    _byte_bpe.write_json(staging / "config.json", config)
    save_file(_weights(config, seed), str(staging / "model.safetensors"), metadata={"format": "pt"})
    if directory.exists():
        shutil.rmtree(directory)
    staging.rename(directory)
    return directory
