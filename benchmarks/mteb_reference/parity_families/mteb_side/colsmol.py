"""ColSmol through mteb 2.26's `ColSmolWrapper` (colpali-engine `ColIdefics3` + processor).

Registered as `vidore/colSmol-256M` / `-500M`; see `_late_interaction.py` for what is compared
and /work/notes/family-colpali.md for the recipe.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CHECKPOINT = "colsmol"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from mteb.models.model_implementations.colsmol_models import ColSmolWrapper

    from parity_families.mteb_side import _late_interaction

    return _late_interaction.embed(ColSmolWrapper, "vidore/colSmol-256M", checkpoint)
