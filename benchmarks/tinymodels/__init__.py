"""tinymodels: tiny, randomly initialised checkpoints of the real architectures MIEB models use.

Each module here is one family, named after it (`dinov2.py` -> "dinov2"), with
`build(root: Path, seed: int = 0) -> Path`: it writes one checkpoint in
the layout its real hub repo has (config, weights, tokenizer / processor files built locally,
no download) and returns its directory. Checkpoints are small (a few MB) so that building and
encoding take seconds on a CPU. Both the project's test suite (without mteb) and the parity
script under `benchmarks/mteb_reference/` (in mteb's own venv) use them, so nothing here imports
pytest_mieb or mteb.

    import tinymodels
    path = tinymodels.build("dinov2", tmp_path)     # -> tmp_path/dinov2
    tinymodels.FAMILIES                             # every family with a builder
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

#: Every family with a builder (module names; helpers start with an underscore).
FAMILIES: tuple[str, ...] = tuple(
    sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
)


def build(family: str, root: str | Path, seed: int = 0) -> Path:
    """Write `family`'s tiny checkpoint under `root` (reused when already there)."""
    if family not in FAMILIES:
        raise KeyError(f"no tiny checkpoint for {family!r}; known: {', '.join(FAMILIES)}")
    module = importlib.import_module(f"tinymodels.{family}")
    return module.build(Path(root), seed=seed)
