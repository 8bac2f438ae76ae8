"""`load_encoder`: the one front door from a model id to a ready `Encoder`.

The plugin calls `load_encoder` once per model and session (through its own cache), so
counting calls to this function counts model loads. Importing this module is cheap: each
adapter (and torch, transformers, open_clip with it) is imported only when a model of its
kind is loaded. See `pytest_mieb.models.id_forms` for the accepted id forms.
"""

from __future__ import annotations

import contextlib
import importlib
from typing import Any

from pytest_mieb import hub
from pytest_mieb.models.base import Encoder
from pytest_mieb.models.id_forms import ModelRef, parse_model_id
from pytest_mieb.models.routing import settle_route
from pytest_mieb.runtime import (
    check_device,
    resolve_device,
    resolve_dtype,
)

__all__ = ["load_encoder", "load_ref", "resolve_device"]


def load_encoder(
    model_id: str,
    *,
    device: str | None = None,
    precision: str = "fp32",
    trust_remote_code: bool = False,
) -> Encoder:
    """Load `model_id` on `device` (default: `resolve_device(None)`), in eval/inference mode.

    `precision` "fp16" / "bf16" casts the weights on CUDA; elsewhere the model stays fp32
    and a warning says so. Baselines ignore `device` and `precision` (they run on the CPU);
    user factories get `device` and handle precision themselves. Raises `ModelLoadError`
    (one line, with the remedy) for an unknown id, weights that cannot be reached offline,
    a checkpoint that does not fill every weight of the model, and remote code without
    `trust_remote_code`.
    """
    return load_ref(
        parse_model_id(model_id),
        device=device,
        precision=precision,
        trust_remote_code=trust_remote_code,
    )


def load_ref(
    ref: ModelRef, *, device: str | None, precision: str, trust_remote_code: bool
) -> Encoder:
    if ref.backend == "baseline":
        from pytest_mieb.models.baselines import load_baseline

        return load_baseline(ref.target)
    if ref.backend == "api":  # no device, precision or hub: the model runs at the vendor
        from pytest_mieb.models.api import load_api_encoder

        return load_api_encoder(ref.target)
    target_device = check_device(device or resolve_device(None))
    if ref.backend == "user":
        from pytest_mieb.models.user_code import load_user_encoder

        return load_user_encoder(ref.target, device=target_device)
    dtype = resolve_dtype(precision, target_device)
    access = contextlib.nullcontext() if ref.local else hub.local_only_when_decided()
    with access:
        return _load_weights_backed(settle_route(ref), target_device, dtype, trust_remote_code)


#: Weights-backed adapters: backend -> (module under pytest_mieb.models, its loader, whether
#: the loader takes `trust_remote_code`). Imported on first use; any other backend is
#: "transformers".
_ADAPTERS: dict[str, tuple[str, str, bool]] = {
    "open_clip": ("open_clip_encoder", "load_open_clip", False),
    "e5v": ("e5v", "load_e5v", True),
    "mllm": ("mllm", "load_mllm", True),
    "cls_vision": ("dino", "load_cls_vision", True),
    "eva_clip": ("eva_clip", "load_eva_clip", False),
    "ebind": ("ebind", "load_ebind", False),
    "blip2": ("blip2", "load_blip2", False),
    "nomic_vision": ("nomic_vision", "load_nomic_vision", True),
    "jina_clip": ("jina_clip", "load_jina_clip", True),
    "timm": ("timm_vision", "load_timm", False),
    "moco": ("timm_vision", "load_timm", False),
    "late_interaction": ("late_interaction", "load_late_interaction", False),
    "sentence_transformers": ("sentence_transformers_encoder", "load_sentence_transformer", True),
    "transformers": ("hf_dual", "load_transformers_dual", True),
}


def _load_weights_backed(
    ref: ModelRef, device: str, dtype: Any, trust_remote_code: bool
) -> Encoder:
    module, loader, takes_trust = _ADAPTERS.get(ref.backend, _ADAPTERS["transformers"])
    load = getattr(importlib.import_module(f"pytest_mieb.models.{module}"), loader)
    extra = {"trust_remote_code": trust_remote_code} if takes_trust else {}
    return load(ref, device=device, dtype=dtype, **extra)
