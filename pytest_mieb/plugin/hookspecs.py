"""Hooks that a conftest.py (or another plugin) can implement to extend pytest-mieb."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookspec(firstresult=True)
def pytest_mieb_load_encoder(
    model_id: str, device: str | None, precision: str, config: pytest.Config
) -> Any:
    """Return an Encoder for `model_id`, or None to leave it to the next implementation.

    pytest-mieb's own implementation is an ordinary one that runs last (``trylast``): the
    built-in registry, `pytest_mieb.models.load_encoder`, which knows every id form of the
    README. A conftest.py or plugin registers its own model family (ids of its own form) by
    returning an encoder for those ids and None for the others, replaces the built-in
    loading by answering every id, or wraps it (``@pytest.hookimpl(wrapper=True)``: the
    built-in's encoder is what ``yield`` gives). Implementations may take any subset of the
    arguments; `device` is the one this process should use (`pytest_mieb.runtime`). Whatever
    arrives is checked by `pytest_mieb.models.validate.validate_encoder` before use.
    """
