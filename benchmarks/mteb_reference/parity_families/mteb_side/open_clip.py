"""open_clip (laion/CLIP-* repos) through mteb 2.26's `openclip_models.openclip_loader`, as written.

The loader only takes hub ids (`create_model_and_transforms(f"hf-hub:{name}")`, tokenizer
`get_tokenizer(f"hf-hub:{name}")`, no revision), so the tiny checkpoint is served offline as the
hub repo `laion/CLIP-ViT-tiny` (`_offline_hub`). fp32 weights; both encode loops run under
`torch.cuda.amp.autocast()`, which is fp16 on CUDA and disabled (fp32) on a CPU-only host, where
this runs. Images: open_clip's eval transform on each PIL image (RGB conversion inside). Texts:
open_clip's CLIP BPE, context 77. No normalisation; fused = text + image. Installed here:
open_clip_torch 3.3.0 (mteb pins 2.31.0; the code path used is the same).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from mteb.models.model_implementations.openclip_models import openclip_loader

from parity_families.mteb_side import _mteb_calls
from parity_families.mteb_side._offline_hub import hub_repo

REPO_ID = "laion/CLIP-ViT-tiny"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    with hub_repo(checkpoint, REPO_ID) as name:
        model = openclip_loader(name, revision=None)
    return _mteb_calls.clip_like(model)
