"""ColPali through mteb 2.26's `ColPaliWrapper` (colpali-engine `ColPali` + `ColPaliProcessor`).

Registered as `vidore/colpali-v1.1/1.2/1.3`; see `_late_interaction.py` for what is compared
and /work/notes/family-colpali.md for the recipe.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CHECKPOINT = "colpali"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from mteb.models.model_implementations.colpali_models import ColPaliWrapper

    from parity_families.mteb_side import _late_interaction

    return _late_interaction.embed(ColPaliWrapper, "vidore/colpali-v1.3", checkpoint)
