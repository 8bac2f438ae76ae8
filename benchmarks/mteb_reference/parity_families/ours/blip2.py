"""blip2: the tiny checkpoint served offline both as `Salesforce/blip2-opt-2.7b` (image
processor) and as `Salesforce/blip2-itm-vit-g` (the converted LAVIS weights and tokenizer its
published row loads), then `Salesforce/blip2-opt-2.7b` loaded by that id through pytest-mieb's
blip2 adapter (Q-Former features, the fp16-rounded "pretrain" ViT) and embedded."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.mteb_side._offline_hub import MAIN, hub_repos
from parity_families.ours import _ours_calls, _ours_loads


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    repos = {"Salesforce/blip2-opt-2.7b": (Path(checkpoint), MAIN),
             "Salesforce/blip2-itm-vit-g": (Path(checkpoint), MAIN)}  # fmt: skip
    with hub_repos(repos):
        encoder = _ours_loads.load(f"Salesforce/blip2-opt-2.7b@{MAIN}")
        return _ours_calls.clip_like(encoder)
