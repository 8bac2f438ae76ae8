"""ColQwen2 through mteb 2.26's `ColQwen2Wrapper` (colpali-engine `ColQwen2` + `ColQwen2Processor`).

Registered as `vidore/colqwen2-v1.0`; see `_late_interaction.py` for what is compared and
/work/notes/family-colpali.md for the recipe.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CHECKPOINT = "colqwen2"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from mteb.models.model_implementations.colqwen_models import ColQwen2Wrapper

    from parity_families.mteb_side import _late_interaction

    return _late_interaction.embed(ColQwen2Wrapper, "vidore/colqwen2-v1.0", checkpoint)
