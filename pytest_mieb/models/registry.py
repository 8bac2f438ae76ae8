"""`load_encoder`: the one front door from a model id to a ready `Encoder`.

The plugin calls `load_encoder` once per model and session (through its own cache), so
counting calls to this function counts model loads. Importing this module is cheap: each
adapter (and torch, transformers, open_clip with it) is imported only when a model of its
kind is loaded. See `pytest_mieb.models.id_forms` for the accepted id forms.
"""

from __future__ import annotations

import contextlib
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


def _load_weights_backed(
    ref: ModelRef, device: str, dtype: Any, trust_remote_code: bool
) -> Encoder:
    if ref.backend == "open_clip":
        from pytest_mieb.models.open_clip_encoder import load_open_clip

        return load_open_clip(ref, device=device, dtype=dtype)
    if ref.backend == "e5v":
        from pytest_mieb.models.e5v import load_e5v

        return load_e5v(ref, device=device, dtype=dtype, trust_remote_code=trust_remote_code)
    if ref.backend == "mllm":
        from pytest_mieb.models.mllm import load_mllm

        return load_mllm(ref, device=device, dtype=dtype, trust_remote_code=trust_remote_code)
    if ref.backend == "cls_vision":
        from pytest_mieb.models.dino import load_cls_vision

        return load_cls_vision(ref, device=device, dtype=dtype, trust_remote_code=trust_remote_code)
    if ref.backend == "eva_clip":
        from pytest_mieb.models.eva_clip import load_eva_clip

        return load_eva_clip(ref, device=device, dtype=dtype)
    if ref.backend == "blip2":
        from pytest_mieb.models.blip2 import load_blip2

        return load_blip2(ref, device=device, dtype=dtype)
    if ref.backend == "nomic_vision":
        from pytest_mieb.models.nomic_vision import load_nomic_vision

        return load_nomic_vision(
            ref, device=device, dtype=dtype, trust_remote_code=trust_remote_code
        )
    if ref.backend == "jina_clip":
        from pytest_mieb.models.jina_clip import load_jina_clip

        return load_jina_clip(ref, device=device, dtype=dtype, trust_remote_code=trust_remote_code)
    if ref.backend in ("timm", "moco"):
        from pytest_mieb.models.timm_vision import load_timm

        return load_timm(ref, device=device, dtype=dtype)
    if ref.backend == "late_interaction":
        from pytest_mieb.models.late_interaction import load_late_interaction

        return load_late_interaction(ref, device=device, dtype=dtype)
    if ref.backend == "sentence_transformers":
        from pytest_mieb.models.sentence_transformers_encoder import load_sentence_transformer

        return load_sentence_transformer(
            ref, device=device, dtype=dtype, trust_remote_code=trust_remote_code
        )
    from pytest_mieb.models.hf_dual import load_transformers_dual

    return load_transformers_dual(
        ref, device=device, dtype=dtype, trust_remote_code=trust_remote_code
    )
