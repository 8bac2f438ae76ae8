"""eva_clip_bige: as `eva_clip`, for `QuanSun/EVA02-CLIP-bigE-14` (its file
`EVA02_CLIP_E_psz14_s4B.pt`, open_clip's `EVA02-E-14` made the tiny bigE architecture)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.ours import eva_clip


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    return eva_clip.embed(checkpoint, "QuanSun/EVA02-CLIP-bigE-14", "EVA02_CLIP_E_psz14_s4B.pt",
                          "EVA02-E-14")  # fmt: skip
