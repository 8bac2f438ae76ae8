"""moco: the tiny MoCo v3 checkpoint served offline as the hub repo
`nyu-visionx/moco-v3-vit-tiny` (as the mteb side serves it) and loaded by that id, so that
pytest-mieb's MoCo v3 route (timm ViT-B/16 with the repo's weights and the architecture's
default data config) runs as for the published ids; images through the embedder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.mteb_side._offline_hub import hub_repo
from parity_families.ours import _ours_loads

REPO_ID = "nyu-visionx/moco-v3-vit-tiny"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    with hub_repo(checkpoint, REPO_ID) as name:
        encoder = _ours_loads.load(name)
    return {"image": _ours_loads.images(encoder)}
