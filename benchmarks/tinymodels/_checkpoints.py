"""What every tiny-checkpoint builder shares: reuse of a finished directory, and weight files.

A builder writes into `<root>/<family>.partial` and renames it to `<root>/<family>` when done,
so an interrupted build is never mistaken for a finished one.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any


def build_once(root: Path, family: str, write: Callable[[Path], None]) -> Path:
    """`root/family`, written by `write(directory)` unless it is already there."""
    final = Path(root) / family
    if final.is_dir():
        return final
    partial = Path(root) / f"{family}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    write(partial)
    partial.rename(final)
    return final


def save_weights(state_dict: dict[str, Any], path: Path) -> None:
    """Write `state_dict` as one safetensors file (contiguous copies, fp32 as built)."""
    from safetensors.torch import save_file

    save_file({k: v.detach().contiguous().clone() for k, v in state_dict.items()}, str(path),
              metadata={"format": "pt"})  # fmt: skip


def renamed(state_dict: dict[str, Any], rules: list[tuple[str, str]]) -> dict[str, Any]:
    """Keys rewritten by the first matching (prefix, replacement) rule; others kept."""
    out = {}
    for key, value in state_dict.items():
        for prefix, replacement in rules:
            if key.startswith(prefix):
                key = replacement + key[len(prefix) :]
                break
        out[key] = value
    return out


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
