"""jina_clip_recipe: the stand-in served offline as the published `jinaai/jina-clip-v1`, loaded
by that id through pytest-mieb's jina_clip adapter with the trust flag, and embedded."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.mteb_side._offline_hub import MAIN, hub_repo
from parity_families.ours import _ours_calls, _ours_loads


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    with hub_repo(Path(checkpoint), "jinaai/jina-clip-v1"):
        encoder = _ours_loads.load(f"jinaai/jina-clip-v1@{MAIN}", trust_remote_code=True)
        return _ours_calls.clip_like(encoder)
