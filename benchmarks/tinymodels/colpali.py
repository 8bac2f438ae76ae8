"""ColPali (PaliGemma + 128-d token projection), laid out as `vidore/colpaligemma-3b-pt-448-base`.

The published ColPali checkpoints (`vidore/colpali-v1.1/1.2/1.3`) are LoRA adapters on that base;
this tiny checkpoint is a full, already merged model in the base repo's layout: a PaliGemma
config, one safetensors file whose keys are the ones colpali-engine's `ColPali` saved under
transformers 4.x (`model.language_model.model.*`, `model.vision_tower.vision_model.*`,
`model.multi_modal_projector.*`, `custom_text_proj.*`; the tied LM head is not stored), a
`GemmaTokenizer` (SentencePiece-style BPE with byte fallback, `add_bos_token=True`, the 1,152
`<locNNNN>`/`<segNNN>` tokens and `<image>` as in the real vocabulary), and a SigLIP image
processor config. Sizes: Gemma 64-d, 2 layers, 4 heads / 1 KV head; SigLIP 32-d, 2 layers,
image 56 px, patch 14 (16 image tokens).
"""

from __future__ import annotations

from pathlib import Path

from tinymodels._checkpoints import build_once, renamed, save_weights, write_json
from tinymodels._tokenizers import sentencepiece_bpe

IMAGE_SIZE, PATCH = 56, 14
IMAGE_SEQ_LENGTH = (IMAGE_SIZE // PATCH) ** 2
SPECIAL = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"]
EXTRA_TOKENS = [f"<loc{i:0>4}>" for i in range(1024)] + [f"<seg{i:0>3}>" for i in range(128)]
EMBED_DIM = 128

#: transformers 5 module names -> the names colpali-engine checkpoints carry (tf 4.x layout).
LEGACY_KEYS = [
    ("model.language_model.", "model.language_model.model."),
    ("model.vision_tower.", "model.vision_tower.vision_model."),
    ("model.multi_modal_projector.", "model.multi_modal_projector."),
]


def _tokenizer():
    from tokenizers import AddedToken
    from transformers import GemmaTokenizer

    vocab, merges = sentencepiece_bpe(SPECIAL)
    tok = GemmaTokenizer(vocab=vocab, merges=merges, add_bos_token=True, add_eos_token=False)
    tok.add_special_tokens(
        {"additional_special_tokens": [AddedToken("<image>", normalized=False, special=True)]}
    )
    tok.add_tokens(EXTRA_TOKENS)
    return tok


def _write(out: Path, seed: int) -> None:
    import torch
    from transformers import PaliGemmaConfig, PaliGemmaForConditionalGeneration

    tok = _tokenizer()
    tok.save_pretrained(out)
    image_token = tok.convert_tokens_to_ids("<image>")
    config = PaliGemmaConfig(
        text_config=dict(
            vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=1, head_dim=16,
            pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
            eos_token_id=tok.eos_token_id,
        ),
        vision_config=dict(
            hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
            image_size=IMAGE_SIZE, patch_size=PATCH, projection_dim=64, vision_use_head=False,
        ),
        image_token_index=image_token, projection_dim=64, hidden_size=64,
    )  # fmt: skip
    config.architectures = ["ColPali"]
    torch.manual_seed(seed)
    vlm = PaliGemmaForConditionalGeneration(config).eval()
    proj = torch.nn.Linear(config.text_config.hidden_size, EMBED_DIM)
    weights = {k: v for k, v in vlm.state_dict().items() if not k.startswith("lm_head.")}
    weights = renamed({f"model.{k}": v for k, v in weights.items()}, LEGACY_KEYS)
    weights.update({f"custom_text_proj.{k}": v for k, v in proj.state_dict().items()})
    save_weights(weights, out / "model.safetensors")
    config.save_pretrained(out)
    write_json(out / "preprocessor_config.json", {
        "do_normalize": True, "do_rescale": True, "do_resize": True,
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
        "image_processor_type": "SiglipImageProcessor", "image_seq_length": IMAGE_SEQ_LENGTH,
        "processor_class": "ColPaliProcessor", "resample": 3,
        "rescale_factor": 1 / 255, "size": {"height": IMAGE_SIZE, "width": IMAGE_SIZE},
    })  # fmt: skip


def build(root: Path, seed: int = 0) -> Path:
    """Write the tiny ColPali checkpoint under `root/colpali` (reused when already there)."""
    return build_once(root, "colpali", lambda out: _write(out, seed))
