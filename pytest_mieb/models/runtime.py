"""Where and in which precision a model runs, and whether the hub may be asked.

torch is imported inside the functions: the registry imports this module at collection
time, when no model is loaded yet.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from typing import Any

from pytest_mieb.models.errors import ModelLoadError

PRECISIONS = ("fp32", "fp16", "bf16")
_TRUE = {"1", "true", "yes", "on"}


def resolve_device(requested: str | None, worker_index: int | None = None) -> str:
    """The torch device a model should load on.

    No request (or "auto"): "cuda" when CUDA is available, else "cpu". Under pytest-xdist
    (`worker_index` set), a request for "cuda" or no request spreads workers over the
    GPUs: worker k gets ``cuda:{k % device_count}``. An explicit device ("cpu", "cuda:1",
    "mps") is returned unchanged; whether it exists is checked by `check_device` at load.
    """
    wanted = (requested or "auto").strip().lower()
    if wanted not in ("auto", "cuda"):
        return requested.strip()  # type: ignore[union-attr]
    import torch

    if not torch.cuda.is_available():
        return "cpu" if wanted == "auto" else "cuda"
    if worker_index is None:
        return "cuda"
    return f"cuda:{worker_index % torch.cuda.device_count()}"


def check_device(device: str) -> str:
    """Refuse a device that cannot be used here, with the remedy."""
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ModelLoadError(f"invalid torch device {device!r}: {exc}") from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ModelLoadError(
                f"device {device!r} requested but CUDA is not available; choose device 'cpu'"
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ModelLoadError(
                f"device {device!r} requested but only {torch.cuda.device_count()} CUDA "
                "device(s) exist"
            )
    return device


def resolve_dtype(precision: str, device: str) -> Any:
    """The weight dtype for `precision` on `device`.

    fp16 / bf16 cast weights on CUDA only. Asked for on another device, the model stays
    in fp32 and a `UserWarning` says so (half-precision matmuls on CPU are slow or
    missing, and the run should not die over a setting shared with GPU machines).
    """
    import torch

    if precision not in PRECISIONS:
        raise ModelLoadError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision == "fp32":
        return torch.float32
    if torch.device(device).type != "cuda":
        warnings.warn(
            f"precision {precision} applies on CUDA only; loading the model in fp32 on {device}",
            UserWarning,
            stacklevel=3,
        )
        return torch.float32
    return torch.float16 if precision == "fp16" else torch.bfloat16


def offline_mode() -> bool:
    """Whether the user asked not to touch the network (read now, not at import time)."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in _TRUE:
            return True
    try:
        from huggingface_hub import constants
    except ImportError:  # pragma: no cover
        return False
    return bool(constants.HF_HUB_OFFLINE)


@contextlib.contextmanager
def cache_only_when_hub_unreachable() -> Iterator[None]:
    """Load from the local caches only when the Hub does not answer and the user did not
    say offline (see `pytest_mieb.hub`): huggingface_hub then fails fast or reads its
    cache, instead of retrying for ~23 s per file before doing the same."""
    if offline_mode():
        yield
        return
    from pytest_mieb.hub import cache_only_reason

    if cache_only_reason() is None:
        yield
        return
    from huggingface_hub import constants

    saved = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = saved


def dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")
