"""st_plain: the tiny sentence-transformers CLIP model through pytest-mieb's
sentence-transformers adapter (generic ``st`` recipe), loaded from its directory (it holds
``modules.json``), fed per probe context. Image+text rows are left out, as on the mteb side:
sentence-transformers cannot combine image and text for this model (the adapter does not
declare the image+text modality for it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.ours import _ours_loads


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    encoder = _ours_loads.load(checkpoint)
    assert "image+text" not in encoder.modalities
    return _ours_loads.per_context(encoder, fused=False)
