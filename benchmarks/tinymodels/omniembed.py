"""Tiny OmniEmbed-style LoRA adapter (standing for Tevatron/OmniEmbed-v0.1) as a
sentence-transformers repo, over the tiny `omni_thinker` base.

Files: `adapter_config.json` (peft LoRA, r 4, alpha 8, on the language model's `q_proj` and
`v_proj`; `base_model_name_or_path` is the real base id, "Tevatron/Qwen2.5-Omni-7B-Thinker",
without a revision, as the real adapter names it), `adapter_model.safetensors` (keys as peft
saves them for the `Qwen2_5OmniThinkerModel` sentence-transformers loads, `lora_B` non-zero so
that the adapter changes the output), the thinker's processor files, and sentence-transformers 6
files (Transformer -> last-token pooling -> L2 normalisation; prompts for `query` and
`document`). The adapter tensors are written by hand (no peft needed to build). `build` also
builds `omni_thinker` next to it; whoever loads the adapter must resolve the base id to that
directory (an offline hub cache, or a rewritten `adapter_config.json` as mteb 2.26 does).
The real repo could not be read offline: its ST configuration, prompts and what
`trust_remote_code` loads are unknown.
"""

from __future__ import annotations

import json
from pathlib import Path

from tinymodels import omni_thinker
from tinymodels._qwen_omni import TEXT_WIDTH, thinker_config, write_processor
from tinymodels._st_files import write_mllm_last_token
from tinymodels._write_once import seeded, write_once

BASE_ID = "Tevatron/Qwen2.5-Omni-7B-Thinker"
RANK, ALPHA = 4, 8
PROMPTS = {"query": "Query: ", "document": ""}


def _lora_tensors(config) -> dict:
    import torch

    text = config.text_config
    head_dim = text.hidden_size // text.num_attention_heads
    outputs = {"q_proj": text.num_attention_heads * head_dim,
               "v_proj": text.num_key_value_heads * head_dim}  # fmt: skip
    tensors = {}
    for layer in range(text.num_hidden_layers):
        for proj, out_dim in outputs.items():
            key = f"base_model.model.language_model.layers.{layer}.self_attn.{proj}"
            tensors[f"{key}.lora_A.weight"] = torch.randn(RANK, text.hidden_size) * 0.2
            tensors[f"{key}.lora_B.weight"] = torch.randn(out_dim, RANK) * 0.2
    return tensors


def build(root: Path, seed: int = 0) -> Path:
    omni_thinker.build(root, seed)

    def write(out: Path) -> None:
        from safetensors.torch import save_file

        ids = write_processor(out)
        seeded(seed + 1)
        save_file(_lora_tensors(thinker_config(ids)), str(out / "adapter_model.safetensors"),
                  metadata={"format": "pt"})  # fmt: skip
        adapter = {
            "peft_type": "LORA", "task_type": None, "base_model_name_or_path": BASE_ID,
            "revision": None, "r": RANK, "lora_alpha": ALPHA, "lora_dropout": 0.0,
            "target_modules": r".*language_model\.layers\.\d+\.self_attn\.(q_proj|v_proj)",
            "bias": "none", "fan_in_fan_out": False, "inference_mode": True,
            "init_lora_weights": True, "modules_to_save": None, "use_dora": False,
            "use_rslora": False,
        }  # fmt: skip
        (out / "adapter_config.json").write_text(json.dumps(adapter, indent=2), "utf-8")
        write_mllm_last_token(out, TEXT_WIDTH, PROMPTS)

    return write_once(root, "omniembed", write)
