"""e5_omni: the tiny e5-omni-style checkpoint served offline as the hub repo
`Haon-Chen/e5-omni-3B` and loaded by that id, so that pytest-mieb picks the e5-omni recipe as
for the published ids (the model's own prompts by task and side, text-only truncation at 512,
image+text rows as one dict each); fed per probe context."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.mteb_side._offline_hub import MAIN, hub_repo
from parity_families.ours import _ours_loads

PUBLISHED_ID = "Haon-Chen/e5-omni-3B"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    with hub_repo(checkpoint, PUBLISHED_ID) as name:
        # the served commit, not the published revision a bare id would ask for
        encoder = _ours_loads.load(f"{name}@{MAIN}", trust_remote_code=True)
        return _ours_loads.per_context(encoder)
