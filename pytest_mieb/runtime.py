"""Where and how the work runs: the torch device, precision names, xdist workers and CPUs.

The one home of these decisions: the plugin, the model loaders, the embedder and the
evaluators all ask here. torch is imported inside the functions, since the plugin imports
this module at collection time, when no model is loaded yet.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from typing import Any

#: Precision names accepted everywhere (option, loaders, embedder). "fp16" / "bf16" cast the
#: weights (and autocast) on CUDA; "fp16-mixed" / "bf16-mixed" keep fp32 weights under CUDA
#: autocast (mteb's open_clip and EVA-CLIP numerics: ``torch.cuda.amp.autocast()``). On any
#: other device every precision is plain fp32.
PRECISIONS = ("fp32", "fp16", "bf16", "fp16-mixed", "bf16-mixed")
#: Precision -> the dtype CUDA autocast runs the encoder in (fp32: no autocast).
AUTOCAST_PRECISIONS = {"fp16": "float16", "bf16": "bfloat16", "fp16-mixed": "float16",
                       "bf16-mixed": "bfloat16"}  # fmt: skip


def xdist_worker_index() -> int | None:
    """This process's pytest-xdist worker number (gw3 -> 3), None outside xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else None


def xdist_worker_count() -> int:
    """How many pytest-xdist workers share this machine (1 outside xdist)."""
    try:
        return max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    except ValueError:
        return 1


def can_fork() -> bool:
    """Whether helper processes can be forked safely here (Linux; on macOS forked children
    break system libraries)."""
    import multiprocessing
    import sys

    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def start_forked(processes: Iterable[Any]) -> None:
    """Start forked `multiprocessing` processes. Python 3.12+ warns on every fork of a
    process that has threads (torch's own among them); this project's children run only
    their own loop, as DataLoader workers do, so the warning is not shown."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".* is multi-threaded", DeprecationWarning)
        for process in processes:
            process.start()


def usable_cpus() -> int:
    """CPUs this process may use, shared out among pytest-xdist workers (at least 1)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return max(1, cpus // xdist_worker_count())


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

    from pytest_mieb.models.errors import ModelLoadError

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
    missing, and the run should not die over a setting shared with GPU machines). The
    mixed precisions keep fp32 weights everywhere (the embedder autocasts on CUDA).
    """
    import torch

    from pytest_mieb.models.errors import ModelLoadError

    if precision not in PRECISIONS:
        raise ModelLoadError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision == "fp32" or precision.endswith("-mixed"):
        return torch.float32
    if torch.device(device).type != "cuda":
        warnings.warn(
            f"precision {precision} applies on CUDA only; loading the model in fp32 on {device}",
            UserWarning,
            stacklevel=3,
        )
        return torch.float32
    return torch.float16 if precision == "fp16" else torch.bfloat16


def dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")
