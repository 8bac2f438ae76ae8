"""Tiny VLM2Vec-V2 checkpoint (`VLM2Vec/VLM2Vec-V2.0` layout: a PEFT adapter on Qwen2-VL-2B).

The real repo holds a PEFT adapter (adapter_config.json + adapter_model.safetensors) and the
processor files; the base model is `Qwen/Qwen2-VL-2B-Instruct`, a repo id that mteb's wrapper
hard-codes. VLM2Vec trains with `LoraConfig(target_modules="qkv_proj,o_proj,gate_up_proj,
down_proj,k_proj,q_proj,out_proj,v_proj", init_lora_weights="gaussian", use_dora=True)`
(TIGER-AI-Lab/VLM2Vec src/model/model.py, src/arguments.py), which on Qwen2-VL matches the text
layers' q/k/v/o_proj and down_proj; saved under transformers 4.4x names
(`base_model.model.model.layers.N....lora_A.weight`, `lora_B.weight`, `lora_magnitude_vector`).
Written here by hand (no peft needed); the DoRA magnitudes are random, so that DoRA's column
normalisation matters.

`build(root)` writes the adapter repo to `root/vlm2vec_v2` and the tiny base into a Hugging Face
hub cache at `root/vlm2vec_v2.hub` (`hub_cache(...)`) under `BASE_REPO`, so that loaders with the
base id hard-coded find it offline (`cache_dir=` or `HF_HUB_CACHE`); `base_checkpoint(...)` is
its snapshot directory.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from tinymodels import _byte_bpe, _qwen2_vl

BASE_REPO = "Qwen/Qwen2-VL-2B-Instruct"
BASE_COMMIT = "0" * 40  # the snapshot name in the tiny hub cache
TARGET_MODULES = [
    "qkv_proj", "o_proj", "gate_up_proj", "down_proj", "k_proj", "q_proj", "out_proj", "v_proj",
]  # fmt: skip
MATCHED = {"self_attn": ("q_proj", "k_proj", "v_proj", "o_proj"), "mlp": ("down_proj",)}
RANK, ALPHA = 4, 16  # real: 16, 64 (same scale alpha / r = 4)


def hub_cache(checkpoint: Path) -> Path:
    return Path(checkpoint).with_name(Path(checkpoint).name + ".hub")


def base_checkpoint(checkpoint: Path) -> Path:
    repo = "models--" + BASE_REPO.replace("/", "--")
    return hub_cache(checkpoint) / repo / "snapshots" / BASE_COMMIT


def _write_base(cache: Path, seed: int) -> Path:
    repo = cache / ("models--" + BASE_REPO.replace("/", "--"))
    snapshot = _qwen2_vl.write_checkpoint(repo / "snapshots" / BASE_COMMIT, seed)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text(BASE_COMMIT, encoding="utf-8")
    return snapshot


def _adapter_config() -> dict[str, Any]:
    return {
        "alpha_pattern": {},
        "auto_mapping": None,
        "base_model_name_or_path": BASE_REPO,
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "init_lora_weights": "gaussian",
        "layer_replication": None,
        "layers_pattern": None,
        "layers_to_transform": None,
        "loftq_config": {},
        "lora_alpha": ALPHA,
        "lora_dropout": 0.1,
        "megatron_config": None,
        "megatron_core": "megatron.core",
        "modules_to_save": None,
        "peft_type": "LORA",
        "r": RANK,
        "rank_pattern": {},
        "revision": None,
        "target_modules": TARGET_MODULES,
        "task_type": None,
        "use_dora": True,
        "use_rslora": False,
    }


def _adapter_weights(base: Path, seed: int) -> dict[str, Any]:
    """Random LoRA A/B and DoRA magnitudes for every matched linear layer of `base`."""
    import torch
    from safetensors import safe_open

    generator = torch.Generator().manual_seed(seed + 1)
    out: dict[str, Any] = {}
    with safe_open(str(base / "model.safetensors"), "pt") as weights:
        for layer in range(_qwen2_vl.TEXT["num_hidden_layers"]):
            for block, names in MATCHED.items():
                for name in names:
                    module = f"model.layers.{layer}.{block}.{name}"
                    weight = weights.get_tensor(f"{module}.weight")
                    n_out, n_in = weight.shape
                    lora_a = torch.randn(RANK, n_in, generator=generator) / RANK
                    lora_b = torch.randn(n_out, RANK, generator=generator) * 0.02
                    merged = weight + (ALPHA / RANK) * lora_b @ lora_a
                    scale = 0.5 + torch.rand(n_out, generator=generator)
                    prefix = f"base_model.model.{module}"
                    out[f"{prefix}.lora_A.weight"] = lora_a
                    out[f"{prefix}.lora_B.weight"] = lora_b
                    out[f"{prefix}.lora_magnitude_vector"] = merged.norm(dim=1) * scale
    return {k: v.to(torch.bfloat16).to(torch.float32).contiguous() for k, v in out.items()}


def build(root: Path, seed: int = 0) -> Path:
    """Write (or reuse) the adapter repo `root/vlm2vec_v2` and its base in `root/vlm2vec_v2.hub`."""
    from safetensors.torch import save_file

    directory = Path(root) / "vlm2vec_v2"
    base = _write_base(hub_cache(directory), seed)
    if (directory / "adapter_model.safetensors").is_file():
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="vlm2vec_v2.", dir=directory.parent))
    _qwen2_vl.write_processor(staging, padding_side=None)
    _byte_bpe.write_json(staging / "adapter_config.json", _adapter_config())
    save_file(
        _adapter_weights(base, seed),
        str(staging / "adapter_model.safetensors"),
        metadata={"format": "pt"},
    )
    if directory.exists():
        shutil.rmtree(directory)
    staging.rename(directory)
    return directory
