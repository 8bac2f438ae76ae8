"""Reading a ColPali-family checkpoint into the classes transformers ships.

The vidore checkpoints are saved by colpali-engine, whose weight names differ from those of
transformers' `ColPaliForRetrieval` / `ColQwen2ForRetrieval` (``custom_text_proj`` vs
``embedding_proj_layer``, ``model.language_model.model`` vs ``vlm.language_model``, ...).
`read_state_dict` reads every safetensors file of the checkpoint and renames its keys with
the family's rules (`KEY_RULES`); `load_strict` refuses a checkpoint that leaves any weight of
the model unset. A LoRA adapter repository (``adapter_config.json``; the published vidore ids
are adapters on a ``*-base`` repository, which mteb resolves through PEFT) is merged into its
base's weights here: ``W += B @ A * lora_alpha / r``, the plain LoRA that those adapters use.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pytest_mieb.models.errors import ModelLoadError, weights_not_loaded

#: Per family: (pattern, replacement) applied in order, the first match wins.
KEY_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "colpali": (
        (r"^custom_text_proj\.", "embedding_proj_layer."),
        (r"^model\.model\.", "vlm."),
        (r"^model\.language_model\.model\.", "vlm.language_model."),
        (r"^model\.vision_tower\.vision_model\.", "vlm.vision_tower."),
        (r"^model\.(vision_tower|multi_modal_projector|language_model)\.", r"vlm.\1."),
    ),
    "colqwen2": (
        (r"^custom_text_proj\.", "embedding_proj_layer."),
        (r"^model\.language_model\.", "vlm.language_model."),
        (r"^model\.visual\.", "vlm.visual."),
        (r"^model\.", "vlm.language_model."),
        (r"^visual\.", "vlm.visual."),
    ),
    "colsmol": (),
}
KEY_RULES["colqwen2_5"] = KEY_RULES["colqwen2"]
#: The projection to the multi-vector space, under its checkpoint name.
PROJECTION = {"colpali": "custom_text_proj", "colqwen2": "custom_text_proj",
              "colqwen2_5": "custom_text_proj", "colsmol": "linear"}  # fmt: skip


def rename(key: str, family: str) -> str:
    for pattern, replacement in KEY_RULES[family]:
        renamed, hits = re.subn(pattern, replacement, key)
        if hits:
            key = renamed
            break
    return key.replace("vision_tower.vision_model.", "vision_tower.")


def safetensors_files(root: Path, stem: str = "model") -> list[Path]:
    index = root / f"{stem}.safetensors.index.json"
    if index.is_file():
        names = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        return [root / name for name in names]
    single = root / f"{stem}.safetensors"
    return [single] if single.is_file() else []


def raw_state_dict(files: list[Path]) -> dict[str, Any]:
    from safetensors.torch import load_file

    out: dict[str, Any] = {}
    for path in files:
        out.update(load_file(str(path)))
    return out


def merge_lora(base: dict[str, Any], adapter_dir: Path, family: str) -> dict[str, Any]:
    """`base` (transformers names) with the adapter's LoRA deltas added and its saved modules
    (the adapter's names are renamed as the checkpoint's, so either naming era matches)."""
    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    if config.get("use_dora") or config.get("use_rslora"):
        raise ModelLoadError(f"{adapter_dir}: DoRA / rsLoRA adapters are not supported")
    scale = float(config.get("lora_alpha", 1)) / float(config.get("r", 1))
    adapter = raw_state_dict(safetensors_files(adapter_dir, "adapter_model"))
    if not adapter:
        raise ModelLoadError(f"{adapter_dir}: adapter_config.json without adapter_model weights")
    merged = dict(base)
    for key, value in adapter.items():
        name = key.removeprefix("base_model.model.")
        if ".lora_B." in name:
            continue
        if ".lora_A." in name:
            target = name.replace(".lora_A.default", "").replace(".lora_A.weight", ".weight")
            target = rename(target, family)
            if target not in merged:
                raise ModelLoadError(f"{adapter_dir}: LoRA target {target} is not in the base")
            b = adapter[key.replace("lora_A", "lora_B")]
            weight = merged[target]
            merged[target] = (weight.float() + scale * (b.float() @ value.float())).to(weight.dtype)
        else:
            saved = name.replace(".modules_to_save.default", "").replace(".modules_to_save", "")
            merged[rename(saved, family)] = value
    return merged


def read_state_dict(root: Path, family: str, base_root: Path | None = None) -> dict[str, Any]:
    """The checkpoint's weights under transformers' names (LoRA merged when `base_root`)."""
    raw = raw_state_dict(safetensors_files(base_root or root))
    if not raw:
        raise ModelLoadError(f"{base_root or root}: no model.safetensors (or its index) to load")
    state = {rename(key, family): value for key, value in raw.items()}
    return state if base_root is None else merge_lora(state, root, family)


def projection_dim(state: dict[str, Any], family: str) -> int:
    name = rename(f"{PROJECTION[family]}.weight", family)  # state holds transformers names
    if name not in state:
        raise ModelLoadError(f"the checkpoint has no {PROJECTION[family]} projection")
    return int(state[name].shape[0])


def load_strict(model: Any, state: dict[str, Any], model_id: str) -> None:
    """Fill every weight of `model` from `state`; tied weights may be absent."""
    expected = set(model.state_dict())
    missing = expected - set(state)
    tied = {k for k in missing if k.endswith("lm_head.weight")}
    if missing - tied:
        raise weights_not_loaded(model_id, missing - tied)
    unexpected = {k for k in set(state) - expected if not k.endswith("lm_head.weight")}
    if unexpected:
        shown = ", ".join(sorted(unexpected)[:5])
        raise ModelLoadError(f"checkpoint of {model_id!r} holds weights the model lacks: {shown}")
    model.load_state_dict({k: v for k, v in state.items() if k in expected}, strict=False)
