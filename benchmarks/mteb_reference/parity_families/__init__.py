"""Parity of pytest-mieb's model adapters with mteb 2.26's own wrappers, family by family.

Two sides encode the same probe inputs (`probes.py`) with the same tiny checkpoint
(`benchmarks/tinymodels`):

* `mteb_side/<family>.py`: `embed(checkpoint, probes) -> {name: array}` through mteb's wrapper;
  runs in mteb's venv and may import mteb;
* `ours/<family>.py`: the same through pytest_mieb; runs in the project's venv.

`benchmarks/mteb_reference/parity.py` drives both and prints one line per family. A family is
a module name under `mteb_side/`; its `CHECKPOINT` names the tinymodels family it encodes
(default: the same name).
"""

from __future__ import annotations

import importlib.util
import pkgutil
from pathlib import Path

from parity_families import mteb_side


def families() -> dict[str, str]:
    """parity family -> tinymodels family, for every module under `mteb_side/` (sorted)."""
    found = {}
    for info in sorted(pkgutil.iter_modules(mteb_side.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        # Read CHECKPOINT without importing the module (its imports need mteb's venv).
        source = importlib.util.find_spec(f"parity_families.mteb_side.{info.name}")
        text = Path(source.origin).read_text(encoding="utf-8") if source and source.origin else ""
        checkpoint = info.name
        for line in text.splitlines():
            if line.startswith("CHECKPOINT = "):
                checkpoint = line.split("=", 1)[1].strip().strip("\"'")
        found[info.name] = checkpoint
    return found
