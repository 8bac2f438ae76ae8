"""Parity of pytest-mieb's model adapters with mteb 2.26's own wrappers, family by family.

Two sides encode the same probe inputs (`probes.py`) with the same tiny checkpoint
(`benchmarks/tinymodels`):

* `mteb_side/<family>.py`: `embed(checkpoint, probes) -> {name: array}` through mteb's wrapper;
  runs in mteb's venv and may import mteb;
* `ours/<family>.py`: the same through pytest_mieb; runs in the project's venv.

`benchmarks/mteb_reference/parity.py` drives both and prints one line per family. `FAMILIES`
lists (family, tinymodels family) pairs in the order lines are printed.
"""

from __future__ import annotations

#: parity family -> the tinymodels family whose checkpoint it encodes.
FAMILIES: dict[str, str] = {}
