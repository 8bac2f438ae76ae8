"""ebind: the published-id route. The tiny checkpoint's `ebind-full/` is served offline as
`encord-team/ebind-full` at the published revision and its `pe/` (Meta's `.pt` layout) as
`facebook/PE-Core-L14-336` at ebind's pinned revision; open_clip's `PE-Core-L-14-336` is made the
tiny architecture for the duration. `encord-team/ebind-full` is then loaded by that id through
pytest-mieb's front door (its ebind adapter) and the probes go through the embedder: the images
in their stored mode (`keeps_image_mode`), bf16 autocast around the towers as the recipe has it;
then the same with the encoder's autocast off (`_fp32` keys), as the mteb side does."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.mteb_side._offline_hub import hub_repos
from parity_families.ours import _ours_calls, _ours_loads

PUBLISHED_ID = "encord-team/ebind-full"
REVISION = "482831d6cb97d3ffc970f933c614a03aa9891416"
PE_REPO, PE_REVISION = "facebook/PE-Core-L14-336", "bafb0f76541d399057e980a25947f67acec76575"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from tinymodels.ebind import register_open_clip_arch, restore_open_clip_arch

    checkpoint = Path(checkpoint)
    repos = {PUBLISHED_ID: (checkpoint / "ebind-full", REVISION),
             PE_REPO: (checkpoint / "pe", PE_REVISION)}  # fmt: skip
    previous = register_open_clip_arch()
    try:
        with hub_repos(repos):
            encoder = _ours_loads.load(PUBLISHED_ID)
    finally:
        restore_open_clip_arch(previous)
    out = _ours_calls.clip_like(encoder)
    encoder.autocast = None
    out.update({f"{k}_fp32": v for k, v in _ours_calls.clip_like(encoder).items()})
    return out
