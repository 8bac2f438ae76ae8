"""What every family writer gets: the repo being written, its tasks, sizes and seeds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hubfarm.draw import rng_for
from hubfarm.hub import Repo
from hubfarm.tasks import TaskInfo


@dataclass
class Context:
    repo: str
    root: Path
    revision: str
    rows: int
    seed: int
    tasks: list[TaskInfo]
    image_size: int = 32
    stamp: dict[str, Any] | None = None

    def rng(self, *parts: Any) -> np.random.Generator:
        """A generator of its own for each part of the repo (same seed, same bytes)."""
        return rng_for(self.seed, self.repo, *parts)

    def new_repo(self, *, readme: bool = True) -> Repo:
        return Repo(self.root, readme=readme)

    def finish(self, repo: Repo) -> Path:
        return repo.finish(self.revision, self.stamp or {})

    def modalities(self, side: str) -> tuple[str, ...]:
        """Modalities the repo's tasks encode on `side` ("query" or "corpus"), union."""
        found: list[str] = []
        for task in self.tasks:
            given = task.params.get(f"{side}_modalities")
            if not given:
                q, _, c = task.category.partition("2")
                letters = q if side == "query" else c
                given = [m for letter, m in (("i", "image"), ("t", "text")) if letter in letters]
            found.extend(m for m in given if m not in found)
        return tuple(m for m in ("image", "text") if m in found)


def string() -> Any:
    from datasets import Value

    return Value("string")


def features(**columns: Any) -> Any:
    from datasets import Features

    return Features(columns)
