"""eva_clip: pytest-mieb has no adapter for the EVA repo's `eva_clip` code; EVA02-CLIP runs
under open_clip's EVA02 architectures (timm `Eva` trunk, e.g. ``open_clip:EVA02-B-16/...``).
This checks that route: the tiny checkpoint's EVA-named weights are converted to open_clip's
layout with timm's own `eva.checkpoint_filter_fn` (as timm converted the published QuanSun
files), written with the tiny `open_clip_config.json` to a directory, and loaded by its
``open_clip:DIR`` id through pytest-mieb's open_clip adapter and embedder. The tiny timm
architecture (`eva02_base_patch16_clip_224` at tiny sizes) is registered with timm first, as a
custom architecture must be. CPU: fp16-mixed is plain fp32, as mteb's autocast is without CUDA."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from parity_families.ours import _ours_calls

TINY_TIMM = "eva02_tiny_for_parity"


def _register_tiny_eva(timm_args: dict) -> None:
    from timm.models import register_model
    from timm.models.eva import Eva

    def build(pretrained: bool = False, **kwargs):
        for key in ("pretrained_cfg", "pretrained_cfg_overlay", "cache_dir"):
            kwargs.pop(key, None)
        return Eva(**{**timm_args, **kwargs})

    build.__name__ = TINY_TIMM
    register_model(build)


def _open_clip_dir(checkpoint: Path, out: Path) -> Path:
    import torch
    from open_clip import create_model
    from safetensors.torch import save_file
    from timm.models.eva import checkpoint_filter_fn

    config = json.loads((checkpoint / "open_clip_config.json").read_text())
    vision = config["model_cfg"]["vision_cfg"]
    _register_tiny_eva(vision.pop("timm_kwargs_for_tiny"))
    vision["timm_model_name"] = TINY_TIMM
    (out / "open_clip_config.json").write_text(json.dumps(config))
    state = torch.load(checkpoint / "EVA02_CLIP_tiny.pt", map_location="cpu")
    trunk = create_model(f"local-dir:{out}").visual.trunk  # random init: the key layout only
    visual = {k: v for k, v in state.items() if k.startswith("visual.")}
    converted = {f"visual.trunk.{k}": v for k, v in checkpoint_filter_fn(visual, trunk).items()}
    converted.update({k: v for k, v in state.items() if not k.startswith("visual.")})
    save_file(
        {k: v.contiguous() for k, v in converted.items()}, out / "open_clip_model.safetensors"
    )
    return out


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from pytest_mieb.models import load_encoder

    with tempfile.TemporaryDirectory() as tmp:
        encoder = load_encoder(f"open_clip:{_open_clip_dir(checkpoint, Path(tmp))}", device="cpu")
        out = _ours_calls.clip_like(encoder)
    return {"text": out["text"], "image": out["image"], "fused": out["fused"]}
