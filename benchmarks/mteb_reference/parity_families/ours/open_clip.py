"""open_clip: the tiny checkpoint served offline as the hub repo `laion/CLIP-ViT-tiny` (as on the
mteb side) and loaded by its bare id, which routes laion/CLIP-* repos to pytest-mieb's open_clip
adapter. On this CPU-only run the published recipe, fp16-mixed (fp32 weights, fp16 autocast on
CUDA), is plain fp32, as mteb's `torch.cuda.amp.autocast()` is without CUDA."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from parity_families.mteb_side._offline_hub import hub_repo
from parity_families.ours import _ours_calls

REPO_ID = "laion/CLIP-ViT-tiny"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    os.environ["HF_HUB_OFFLINE"] = "1"  # pytest_mieb.hub: read the (throw-away) cache only
    from pytest_mieb.models import load_encoder

    with hub_repo(checkpoint, REPO_ID) as name:
        encoder = load_encoder(name, device="cpu")
    return _ours_calls.clip_like(encoder)
