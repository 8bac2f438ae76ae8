"""The tiny checkpoints of `benchmarks/tinymodels` (the parity script's), for the model tests,
and a throw-away offline hub cache that serves local directories under hub ids and commits.

Each checkpoint is built once per session into a shared temporary directory.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
MAIN = "0" * 40


def build(family: str, root: Path) -> Path:
    if str(BENCHMARKS) not in sys.path:
        sys.path.append(str(BENCHMARKS))  # appended: benchmarks' modules never shadow others
    import tinymodels

    return tinymodels.build(family, root)


@contextlib.contextmanager
def served(
    monkeypatch: pytest.MonkeyPatch, cache: Path, repos: dict[str, tuple[Path, str]]
) -> Iterator[Path]:
    """Serve `{repo_id: (directory, commit)}` from a hub cache at `cache` (offline), with
    ``refs/main`` pointing at that commit."""
    from huggingface_hub import constants

    for repo_id, (directory, commit) in repos.items():
        repo = cache / ("models--" + repo_id.replace("/", "--"))
        if not (repo / "snapshots" / commit).exists():
            shutil.copytree(directory, repo / "snapshots" / commit)
        (repo / "refs").mkdir(exist_ok=True)
        (repo / "refs" / "main").write_text(commit, encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr(constants, "HF_HUB_CACHE", str(cache))
        patch.setattr(constants, "HF_HUB_OFFLINE", True)
        patch.setenv("HF_HUB_OFFLINE", "1")
        yield cache
