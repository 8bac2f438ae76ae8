"""ColQwen2 (Qwen2-VL + 128-d token projection), laid out as `vidore/colqwen2-base`.

The published `vidore/colqwen2-v1.0` is a LoRA adapter on that base; this tiny checkpoint is a
full, already merged model in the base repo's layout: a Qwen2-VL config, one safetensors file
with the keys colpali-engine's `ColQwen2` saved under transformers 4.x (`model.embed_tokens`,
`model.layers.*`, `model.norm`, `visual.*`, `custom_text_proj.*`; no LM head), and the
Qwen2-VL processor files (`_qwen_vl.py`). Sizes: text 64-d, 2 layers; vision 32-d, depth 2.
"""

from __future__ import annotations

from pathlib import Path

from tinymodels import _qwen_vl
from tinymodels._checkpoints import build_once, renamed, save_weights

EMBED_DIM = 128
#: transformers 5 module names -> the names colpali-engine ColQwen checkpoints carry.
LEGACY_KEYS = [("language_model.", "model.")]


def write_colqwen(
    out: Path, seed: int, names: tuple[str, str], config_class, vision_config: dict, model_class
) -> None:
    """Tokenizer, processor, config and weights of a ColQwen on `model_class` (Qwen2(.5)-VL).

    `names`: the colpali-engine model and processor class names the real repo records.
    """
    import torch

    tok = _qwen_vl.tokenizer()
    _qwen_vl.save_processor(out, tok, names[1])
    specials = dict(bos_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
    config = config_class(
        text_config=dict(vocab_size=len(tok), **specials, **_qwen_vl.TEXT_CONFIG),
        vision_config=vision_config,
        **_qwen_vl.token_ids(tok),
    )
    config.architectures = [names[0]]
    torch.manual_seed(seed)
    backbone = model_class(config).eval()
    proj = torch.nn.Linear(config.text_config.hidden_size, EMBED_DIM)
    weights = renamed(backbone.state_dict(), LEGACY_KEYS)
    weights.update({f"custom_text_proj.{k}": v for k, v in proj.state_dict().items()})
    save_weights(weights, out / "model.safetensors")
    config.save_pretrained(out)


def _write(out: Path, seed: int) -> None:
    from transformers import Qwen2VLConfig, Qwen2VLModel

    vision = dict(depth=2, embed_dim=32, hidden_size=64, num_heads=2, mlp_ratio=2, patch_size=14,
                  spatial_merge_size=2, temporal_patch_size=2, in_channels=3)  # fmt: skip
    write_colqwen(out, seed, ("ColQwen2", "ColQwen2Processor"), Qwen2VLConfig, vision, Qwen2VLModel)


def build(root: Path, seed: int = 0) -> Path:
    """Write the tiny ColQwen2 checkpoint under `root/colqwen2` (reused when already there)."""
    return build_once(root, "colqwen2", lambda out: _write(out, seed))
