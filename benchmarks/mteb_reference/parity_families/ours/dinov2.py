"""dinov2: the tiny checkpoint through pytest-mieb's CLS-token vision adapter (`models.dino`),
loaded from its directory as a user's local path would be, images through the embedder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.ours import _ours_loads


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    return {"image": _ours_loads.images(_ours_loads.load(checkpoint))}
