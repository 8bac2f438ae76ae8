"""ColSmol (Idefics3 / SmolVLM + 128-d token projection), laid out as the `vidore/colSmol-*` bases.

The published `vidore/colSmol-256M` / `-500M` are LoRA adapters on ColSmolVLM bases; this tiny
checkpoint is a full, already merged model in colpali-engine's `ColIdefics3` layout: an
Idefics3 config, one safetensors file with the keys `model.vision_model.*`, `model.connector.*`,
`model.text_model.*`, `linear.*`, a GPT-2 style byte-level BPE tokenizer carrying SmolVLM's
special tokens (`<|im_start|>`, `<end_of_utterance>`, `<image>`, `<fake_token_around_image>`,
`<global-img>`, `<row_R_col_C>`), and an Idefics3 image processor config (Lanczos resize so the
longest edge is 168 px, split into 56-px tiles plus a global image, mean/std 0.5). Sizes: text
(Llama) 64-d, 2 layers; vision 32-d, 2 layers, image 56, patch 14, pixel-shuffle scale 2 (4
tokens per tile).
"""

from __future__ import annotations

from pathlib import Path

from tinymodels._checkpoints import build_once, save_weights, write_json
from tinymodels._tokenizers import byte_level_bpe

TILE, PATCH, SCALE = 56, 14, 2
IMAGE_SEQ_LEN = (TILE // PATCH) ** 2 // SCALE**2
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<fake_token_around_image>", "<image>",
           "<end_of_utterance>", "<global-img>"]  # fmt: skip
ROW_COL = [f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7)]
EMBED_DIM = 128


def _tokenizer():
    from transformers import GPT2Tokenizer

    return GPT2Tokenizer(
        tokenizer_object=byte_level_bpe(SPECIAL + ROW_COL), bos_token="<|im_start|>",
        eos_token="<end_of_utterance>", pad_token="<|im_end|>", unk_token="<|endoftext|>",
        additional_special_tokens=SPECIAL[3:] + ROW_COL, padding_side="left",
        add_bos_token=False,
    )  # fmt: skip


def _write(out: Path, seed: int) -> None:
    import torch
    from transformers import Idefics3Config, Idefics3Model

    tok = _tokenizer()
    tok.save_pretrained(out)
    write_json(out / "preprocessor_config.json", {
        "do_convert_rgb": True, "do_image_splitting": True, "do_normalize": True,
        "do_pad": True, "do_rescale": True, "do_resize": True,
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
        "image_processor_type": "Idefics3ImageProcessor",
        "max_image_size": {"longest_edge": TILE}, "processor_class": "ColIdefics3Processor",
        "resample": 1, "rescale_factor": 1 / 255, "size": {"longest_edge": 3 * TILE},
    })  # fmt: skip
    write_json(out / "processor_config.json", {
        "image_seq_len": IMAGE_SEQ_LEN, "processor_class": "ColIdefics3Processor"
    })  # fmt: skip
    config = Idefics3Config(
        text_config=dict(
            vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
            pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
            eos_token_id=tok.eos_token_id, tie_word_embeddings=False,
        ),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                           num_attention_heads=2, image_size=TILE, patch_size=PATCH),
        image_token_id=tok.convert_tokens_to_ids("<image>"), scale_factor=SCALE,
    )  # fmt: skip
    config.architectures = ["ColIdefics3"]
    torch.manual_seed(seed)
    backbone = Idefics3Model(config).eval()
    proj = torch.nn.Linear(config.text_config.hidden_size, EMBED_DIM)
    weights = {f"model.{k}": v for k, v in backbone.state_dict().items()}
    weights.update({f"linear.{k}": v for k, v in proj.state_dict().items()})
    save_weights(weights, out / "model.safetensors")
    config.save_pretrained(out)


def build(root: Path, seed: int = 0) -> Path:
    """Write the tiny ColSmol checkpoint under `root/colsmol` (reused when already there)."""
    return build_once(root, "colsmol", lambda out: _write(out, seed))
