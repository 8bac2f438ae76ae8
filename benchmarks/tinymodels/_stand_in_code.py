"""Stand-in "remote code" for checkpoints whose real modeling code lives only on the Hub.

nomic-embed-vision and jina-clip load their architectures with ``trust_remote_code`` from Hub
repos that cannot be reached here (and no package ships that code). To exercise what a recipe
does *around* such a model (which outputs it takes, pooling, normalisation, fusion, the trust
flag), a tiny checkpoint carries a module written here — ordinary transformers classes under a
new ``model_type`` — and a ``config.json`` whose ``auto_map`` points at it, the layout of a
remote-code repository. The numbers say nothing about the real architecture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def use_stand_in_code(out: Path, module: str, source: str, model_type: str | None,
                      auto_map: dict[str, str]) -> None:  # fmt: skip
    """Write `source` as `out/<module>.py` and point `out/config.json` at its classes
    (`model_type` None: the config keeps transformers' own type, so that transformers' weight
    renaming for that type still applies)."""
    (out / f"{module}.py").write_text(source, encoding="utf-8")
    config: dict[str, Any] = json.loads((out / "config.json").read_text(encoding="utf-8"))
    if model_type is not None:
        config["model_type"] = model_type
    config["auto_map"] = {key: f"{module}.{name}" for key, name in auto_map.items()}
    config["architectures"] = [auto_map["AutoModel"]]
    (out / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
