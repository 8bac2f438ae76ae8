"""Evaluators, one module per task type, found by the protocol name in a task spec.

Which function evaluates which protocol is written in the protocol table
(`pytest_mieb.tasks.protocols`); it is imported on first use, so collection stays free of
numpy/sklearn/torch imports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_mieb.tasks.protocols import PROTOCOLS, import_target


def get_evaluator(protocol: str) -> Callable[..., Any]:
    """The evaluate function for a protocol; KeyError lists the known ones."""
    try:
        entry = PROTOCOLS[protocol]
    except KeyError:
        known = ", ".join(sorted(PROTOCOLS))
        raise KeyError(f"no evaluator for protocol {protocol!r}; known: {known}") from None
    return import_target(entry.evaluator)
