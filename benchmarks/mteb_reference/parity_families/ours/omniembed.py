"""omniembed: the tiny OmniEmbed-style LoRA adapter and its base served offline under their
real ids and commits (as on the mteb side) and loaded by the published id, so that
pytest-mieb's OmniEmbed recipe runs as for the real repo: the adapter on its base pinned at
8876e9bc..., bf16, prompts by task and side, text-only calls at 512 tokens; fed per probe
context."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.mteb_side._offline_hub import hub_repos
from parity_families.ours import _ours_loads

PUBLISHED_ID = "Tevatron/OmniEmbed-v0.1"
REVISION = "fa8be315e74d07f563b07c0d053525de6dc7eda8"
BASE_ID = "Tevatron/Qwen2.5-Omni-7B-Thinker"
BASE_REVISION = "8876e9bc7e6af2ecbdfb14e0416e2c1105f0f7bb"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    base = checkpoint.parent / "omni_thinker"  # built next to the adapter
    served = {PUBLISHED_ID: (checkpoint, REVISION), BASE_ID: (base, BASE_REVISION)}
    with hub_repos(served):
        encoder = _ours_loads.load(f"{PUBLISHED_ID}@{REVISION}", trust_remote_code=True)
        return _ours_loads.per_context(encoder)
