"""bidirlm_recipe: the tiny e5-omni-style checkpoint (the mteb side's stand-in) served offline
as `BidirLM/BidirLM-Omni-2.5B-Embedding` and loaded by that id, so that pytest-mieb applies
its BidirLM-Omni recipe (instruction per task, none on retrieval documents, plain `encode`,
rows as dicts in the order image, text, sequence length 1024 / 32768); fed per probe
context."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.mteb_side._offline_hub import MAIN, hub_repo
from parity_families.ours import _ours_loads

PUBLISHED_ID = "BidirLM/BidirLM-Omni-2.5B-Embedding"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    with hub_repo(checkpoint, PUBLISHED_ID) as name:
        # the served commit, not the published revision a bare id would ask for
        encoder = _ours_loads.load(f"{name}@{MAIN}", trust_remote_code=True)
        return _ours_loads.per_context(encoder)
