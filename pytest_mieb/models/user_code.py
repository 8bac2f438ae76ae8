"""``--mieb-model=package.module:factory``: the user's own model code.

The module is imported (it must be importable: installed, or on ``sys.path`` such as the
pytest rootdir), the attribute after ``:`` is called, and what it returns must satisfy
the `Encoder` protocol (checked by `pytest_mieb.models.validate`). The factory receives
``device=`` when it accepts that keyword (or ``**kwargs``), so it can place its model where
the harness wants it.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from pytest_mieb.models.base import Encoder
from pytest_mieb.models.errors import ModelLoadError, short
from pytest_mieb.models.validate import validate_encoder


def load_user_encoder(spec: str, *, device: str) -> Encoder:
    module_name, _, attr_path = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelLoadError(
            f"cannot import {module_name!r} for model {spec!r}: {short(exc)}; make the module "
            "importable (install it, or put it on sys.path / under the pytest rootdir)"
        ) from exc
    factory: Any = module
    for part in attr_path.split("."):
        if not hasattr(factory, part):
            raise ModelLoadError(
                f"module {module_name!r} has no attribute {attr_path!r} ({spec!r})"
            )
        factory = getattr(factory, part)
    if not callable(factory):
        raise ModelLoadError(f"{spec!r} is not callable; it must be a factory returning an Encoder")
    try:
        encoder = factory(device=device) if _accepts_device(factory) else factory()
    except Exception as exc:
        raise ModelLoadError(f"factory {spec!r} raised {type(exc).__name__}: {short(exc)}") from exc
    return validate_encoder(encoder, f"factory {spec!r}")


def _accepts_device(factory: Any) -> bool:
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        (p.name == "device" and p.kind is not inspect.Parameter.POSITIONAL_ONLY)
        or p.kind is inspect.Parameter.VAR_KEYWORD
        for p in params
    )
