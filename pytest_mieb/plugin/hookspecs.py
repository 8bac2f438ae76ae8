"""Hooks that a conftest.py (or another plugin) can implement to extend pytest-mieb."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookspec(firstresult=True)
def pytest_mieb_load_encoder(model_id: str, device: str | None, precision: str) -> Any:
    """Return an Encoder for `model_id`, or None to let the built-in registry load it.

    This is how a team registers its own model family (ids of its own form) once,
    instead of overriding the `mieb_encoder` fixture everywhere.
    """
