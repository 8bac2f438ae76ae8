"""colpali: the tiny checkpoint through pytest-mieb's late-interaction adapter
(`pytest_mieb.models.late_interaction`); see `_late_interaction` for what is compared."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from parity_families.ours import _late_interaction

    return _late_interaction.embed(checkpoint)
