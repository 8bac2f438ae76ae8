"""EVA02-CLIP through mteb 2.26's `evaclip_loader` (the EVA repo's `eva_clip` code), tiny model.

mteb's loader imports `eva_clip` from `./EVA/EVA-CLIP/rei` under the **current directory** (a
clone of github.com/baaivision/EVA, MIT; not on PyPI, not part of this project). This check
needs such a clone: set `MIEB_EVA_CLIP_DIR` to the directory that contains `EVA/`; without it
the check fails with that message. mteb 2.26 passes the full id (`QuanSun/EVA02-CLIP-B-16`),
which `eva_clip` cannot resolve (`/` -> `-` finds no config; recipes-14); the code that produced
the published scores passed the bare name (`EVA02-CLIP-B-16`), so this check does too
(`EVA02-CLIP-tiny`). The `eva_clip` pretrained tag is resolved to the tiny checkpoint's `.pt`
instead of a Hub download, and the loaded weights are compared with the file (eva_clip loads
with `strict=False`, which would hide a key mismatch). xattn (xformers) is off in the tiny
config; the real configs require it, on CUDA. Outputs: `text`, `image`, `fused` (image+text
pairs), as mteb's wrapper returns them (unnormalised; fused = text + image).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from parity_families.mteb_side._probe_loaders import encode_call

CHECKPOINT = "eva_clip"
NAME = "EVA02-CLIP-tiny"
CALLS = {"text": "text/none", "image": "image/none", "fused": "fused/query"}


def _eva_dir() -> Path:
    root = os.environ.get("MIEB_EVA_CLIP_DIR")
    if not root or not (Path(root) / "EVA" / "EVA-CLIP" / "rei" / "eva_clip").is_dir():
        raise RuntimeError(
            "needs a clone of baaivision/EVA: set MIEB_EVA_CLIP_DIR to the directory holding "
            "EVA/EVA-CLIP/rei (mteb imports it from the cwd)"
        )
    return Path(root)


def _check_loaded(model, checkpoint: Path) -> None:
    import torch

    saved = torch.load(checkpoint / "EVA02_CLIP_tiny.pt", map_location="cpu")
    loaded = model.state_dict()
    missing = sorted(k for k in loaded if k not in saved and "rope" not in k)
    wrong = sorted(k for k, v in saved.items() if k not in loaded or not torch.equal(loaded[k], v))
    if missing or wrong:
        raise RuntimeError(f"eva_clip did not load the tiny weights: missing {missing[:5]}, "
                           f"unexpected/different {wrong[:5]}")  # fmt: skip


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    root, cwd = _eva_dir(), Path.cwd()
    os.chdir(root)
    try:
        from mteb.models.model_implementations.evaclip_models import evaclip_loader

        sys.path.insert(0, str(root / "EVA" / "EVA-CLIP" / "rei"))
        import eva_clip.factory as factory
        import eva_clip.pretrained as pretrained

        factory.add_model_config(str(Path(checkpoint) / f"{NAME}.json"))
        weights = str(Path(checkpoint) / "EVA02_CLIP_tiny.pt")
        pretrained._PRETRAINED[NAME] = {"eva_clip": pretrained._pcfg(hf_hub="QuanSun/EVA-CLIP/x")}
        original = pretrained.download_pretrained
        pretrained.download_pretrained = lambda cfg, **kw: weights
        factory.download_pretrained = pretrained.download_pretrained
        try:
            wrapper = evaclip_loader(NAME, device="cpu")
        finally:
            pretrained.download_pretrained = factory.download_pretrained = original
    finally:
        os.chdir(cwd)
    _check_loaded(wrapper.model, Path(checkpoint))
    return {key: encode_call(wrapper, call) for key, call in CALLS.items()}
