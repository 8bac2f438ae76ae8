"""The data layer: pinned hub datasets or local mirrors in, evaluator containers out.

Public API (the heavy parts imported lazily, so `import pytest_mieb.data` stays cheap):

- `load_task_data(spec, *, data_dir=None, limit=None, hub_offline=None)`
- `download(specs, data_dir)` — fill a mirror (`python -m pytest_mieb download`)
- `materialize_local_datasets(root)` — write the offline suite's generated datasets
- `DataError`, `CorruptImageError`
"""

from __future__ import annotations

import importlib
from typing import Any

from pytest_mieb.data.download import download
from pytest_mieb.data.errors import CorruptImageError, DataError

_LAZY = {
    "load_task_data": "pytest_mieb.data.load",
    "materialize_local_datasets": "pytest_mieb.data.local",
}

__all__ = ["CorruptImageError", "DataError", "download", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
