"""Multilingual SigLIP (google/siglip-base-patch16-256-multilingual) through mteb 2.26's
`siglip_models.SiglipModelWrapper`: the same wrapper and recipe as `siglip` (PIL image
processor swapped in, see there) on a checkpoint with a multilingual SentencePiece vocabulary
and a non-224 square input size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.mteb_side import siglip

CHECKPOINT = "siglip_multilingual"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    return siglip.embed(checkpoint)
