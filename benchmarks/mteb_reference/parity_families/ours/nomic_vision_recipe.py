"""nomic_vision_recipe: the stand-in towers served offline as the published
`nomic-ai/nomic-embed-vision-v1.5` and as the text repo and revision its published row names
(`nomic-ai/nomic-embed-text-v1.5` at `a03db674...`), loaded by the published id through
pytest-mieb's nomic_vision adapter with the trust flag, and embedded."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.mteb_side._offline_hub import MAIN, hub_repos
from parity_families.ours import _ours_calls, _ours_loads

TEXT_REVISION = "a03db6748c80237063eb0546ac6b627eca2318cb"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    repos = {
        "nomic-ai/nomic-embed-vision-v1.5": (Path(checkpoint) / "vision", MAIN),
        "nomic-ai/nomic-embed-text-v1.5": (Path(checkpoint) / "text", TEXT_REVISION),
    }
    with hub_repos(repos):
        encoder = _ours_loads.load(f"nomic-ai/nomic-embed-vision-v1.5@{MAIN}",
                                   trust_remote_code=True)  # fmt: skip
        return _ours_calls.clip_like(encoder)
