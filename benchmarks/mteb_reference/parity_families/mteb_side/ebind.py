"""EBind (encord-team/ebind-full) through mteb 2.26's `EBindWrapper` and the `ebind` package
(0.1.0 from PyPI), tiny model. In mteb's venv: ``pip install --no-deps ebind==0.1.0`` and
``pip install einops ftfy iopath regex accelerate typer`` (its other dependencies but torchaudio
and torchcodec; timm, transformers, safetensors come with mteb / open_clip).

`EBindWrapper("encord-team/ebind-full", revision=<published>)` runs unmodified:
`EBindModel.from_pretrained` reads the ebind-full repo (served offline from the tiny checkpoint's
`ebind-full/`: a config naming image, video and text, and an empty weights file, since those
modalities have no projector), then `load_backbones` builds `PEVisionEncoder` / `PETextEncoder`
from ebind's config table entry "PE-Core-L14-336" and loads `hf_hub_download(facebook/
PE-Core-L14-336, PE-Core-L14-336.pt, revision=<ebind's pin>)`, served from the tiny checkpoint's
`pe/`. Only two things are changed, in this process only: ebind's config table entry for
"PE-Core-L14-336" (vision and text) holds the tiny sizes (`pe_config.json`) while the wrapper is
built, and, where torchaudio / torchcodec are not installed (the package index here has no
torchaudio for torch 2.14.1: 2.11.1 is its newest), empty stand-in modules answer
`import torchaudio` and `from torchcodec.decoders import VideoDecoder`, which ebind imports at
package import time but only its audio and video paths use. ebind loads the backbones with
`strict=False`, so the loaded weights are compared with the file here.

Outputs: `image`, `text`, `fused` (image k + text k, retrieval queries) as the wrapper returns
them, the probe images in their stored mode (mteb 2.26 hands them over so, and EBind's published
scores came from mteb 2.x) — the recipe as written, bf16 autocast on the CPU included; and the
same three with `_fp32` appended, with ebind's `torch.autocast` calls turned into disabled
autocast regions, which checks architecture, weights and preprocessing in fp32.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import numpy as np

CHECKPOINT = "ebind"
EBIND_ID = "encord-team/ebind-full"
EBIND_REVISION = "482831d6cb97d3ffc970f933c614a03aa9891416"
PE_NAME = "PE-Core-L14-336"
STAND_INS = ("torchaudio", "torchcodec", "torchcodec.decoders")


@contextlib.contextmanager
def _stand_ins() -> Iterator[None]:
    """Empty modules for what ebind imports but image and text never use (only if missing).
    transformers and mteb are imported first: their availability checks then see none."""
    import transformers  # noqa: F401
    from mteb.models.model_implementations import ebind_models  # noqa: F401
    from transformers import PreTrainedModel  # noqa: F401  (runs transformers' lazy checks)

    missing = {n for n in STAND_INS if n.split(".")[0] not in sys.modules
               and importlib.util.find_spec(n.split(".")[0]) is None}  # fmt: skip
    added = []
    for name in STAND_INS:
        if name not in missing:
            continue
        module = types.ModuleType(name)
        if name == "torchcodec.decoders":

            class VideoDecoder:  # video only
                def __init__(self, *args, **kwargs):
                    raise RuntimeError("stand-in torchcodec: no video decoding in this check")

            module.VideoDecoder = VideoDecoder
        sys.modules[name] = module
        added.append(name)
    try:
        yield
    finally:
        for name in added:
            sys.modules.pop(name, None)


@contextlib.contextmanager
def _tiny_pe(checkpoint: Path) -> Iterator[None]:
    """ebind's config table entry for PE-Core-L14-336 holds the tiny sizes meanwhile."""
    from ebind.models.perception_encoder import config

    sizes = json.loads((Path(checkpoint) / "pe_config.json").read_text(encoding="utf-8"))
    saved = config.PE_VISION_CONFIG[PE_NAME], config.PE_TEXT_CONFIG[PE_NAME]
    config.PE_VISION_CONFIG[PE_NAME] = config.PEConfig(**sizes["vision"])
    config.PE_TEXT_CONFIG[PE_NAME] = config.PETextConfig(**sizes["text"])
    try:
        yield
    finally:
        config.PE_VISION_CONFIG[PE_NAME], config.PE_TEXT_CONFIG[PE_NAME] = saved


@contextlib.contextmanager
def _autocast_off() -> Iterator[None]:
    """ebind's `torch.autocast(...)` regions become disabled ones (fp32 throughout)."""
    import ebind.modeling as modeling
    import torch

    real = torch.autocast

    class Disabled(real):
        def __init__(self, device_type, *args, **kwargs):
            kwargs["enabled"] = False
            super().__init__(device_type, *args, **kwargs)

    saved = modeling.torch
    modeling.torch = types.SimpleNamespace(**{**vars(torch), "autocast": Disabled})
    try:
        yield
    finally:
        modeling.torch = saved


def _check_loaded(model, checkpoint: Path) -> None:
    import torch
    from tinymodels.ebind import WEIGHTS

    saved = torch.load(Path(checkpoint) / "pe" / WEIGHTS, map_location="cpu")
    vision = {k.removeprefix("visual."): v for k, v in saved.items() if k.startswith("visual.")}
    text = {k: v for k, v in saved.items() if not k.startswith("visual.") and k != "logit_scale"}
    for tower, want in ((model.vision_backbone, vision), (model.text_backbone, text)):
        loaded = tower.state_dict()
        missing = sorted(k for k in loaded if k not in want)
        wrong = sorted(
            k for k, v in want.items() if k not in loaded or not torch.equal(loaded[k], v)
        )
        if missing or wrong:
            raise RuntimeError(f"ebind did not load the tiny PE weights: missing {missing[:5]}, "
                               f"unexpected/different {wrong[:5]}")  # fmt: skip


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from parity_families.mteb_side._mteb_calls import clip_like
    from parity_families.mteb_side._offline_hub import hub_repos

    checkpoint = Path(checkpoint)
    with _stand_ins():
        from ebind.consts import PERCEPTION_ENCODER_CHECKPOINT_ARGS as PE_ARGS
        from mteb.models.model_implementations.ebind_models import EBindWrapper

        repos = {
            EBIND_ID: (checkpoint / "ebind-full", EBIND_REVISION),
            PE_ARGS["repo_id"]: (checkpoint / "pe", PE_ARGS["revision"]),
        }
        with _tiny_pe(checkpoint), hub_repos(repos):
            wrapper = EBindWrapper(EBIND_ID, revision=EBIND_REVISION, device="cpu")
    _check_loaded(wrapper.model, checkpoint)
    out = clip_like(wrapper)
    with _autocast_off():
        out.update({f"{k}_fp32": v for k, v in clip_like(wrapper).items()})
    return out
