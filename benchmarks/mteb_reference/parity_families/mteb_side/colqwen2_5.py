"""ColQwen2.5 through mteb 2.26's `ColQwen2_5Wrapper` (colpali-engine `ColQwen2_5` + processor).

Registered as `vidore/colqwen2.5-v0.2`; see `_late_interaction.py` for what is compared and
/work/notes/family-colpali.md for the recipe.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CHECKPOINT = "colqwen2_5"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from mteb.models.model_implementations.colqwen_models import ColQwen2_5Wrapper

    from parity_families.mteb_side import _late_interaction

    return _late_interaction.embed(ColQwen2_5Wrapper, "vidore/colqwen2.5-v0.2", checkpoint)
