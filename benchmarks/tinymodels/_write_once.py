"""Write a checkpoint directory once: build into a temporary sibling, then rename into place.

A directory that exists is complete (the rename is atomic), so a second `build` reuses it and
two processes building at once never see half a checkpoint.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_once(root: Path, name: str, write: Callable[[Path], None]) -> Path:
    """`root/name`, created by `write(tmp_dir)` unless it already exists."""
    target = Path(root) / name
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        write(tmp)
        for path in [tmp, *tmp.rglob("*")]:  # mkdtemp makes it private; it is shared data
            path.chmod(0o755 if path.is_dir() else 0o644)
        try:
            os.rename(tmp, target)
        except OSError:  # another process finished first
            if not target.is_dir():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def seeded(seed: int) -> None:
    """Seed torch's CPU generator before a model is constructed (random init is then fixed)."""
    import torch

    torch.manual_seed(seed)
