"""MoCo v3 (nyu-visionx/moco-v3-vit-b/-l) through mteb 2.26's `moco_models.mocov3_loader`.

mteb 2.26's wrapper cannot encode as written: `get_image_embeddings` does
`F.to_pil_image(b.to("cpu"))` on every `batch["image"]` item, which in mteb 2.x is a PIL image,
so it raises `AttributeError: ... has no attribute 'to'`. The published scores came from the
MIEB-era code (mteb 1.14, commit bc05a9d39), whose loop is the same but whose evaluators handed
models `PILToTensor()(image.convert("RGB"))`. That path is reproduced here: the wrapper's own
loader and loop run on batches of RGB uint8 CHW tensors (`images_plain(mieb_era_tensors=True)`),
i.e. RGB -> tensor -> `to_pil_image` -> timm eval transform -> `model(x)`.

Two further adjustments, because the loader only takes hub ids and a fixed architecture: the
tiny checkpoint is served offline as the hub repo `nyu-visionx/moco-v3-vit-tiny`
(`_offline_hub`; the loader passes it as timm's `hf_hub_id`, weights from `model.safetensors`),
and `timm.create_model("vit_base_patch16_224", ...)` gets the checkpoint's `model_args` (width,
depth, heads) added while the loader runs. Everything else is the loader's: `pretrained=True,
num_classes=0`; transform from `resolve_model_data_config(model)`, i.e. timm's default tag for
`vit_base_patch16_224` (Resize 248 bicubic, CenterCrop 224, mean = std = 0.5), never the repo's
`pretrained_cfg`; output = CLS after the final norm, not normalised, fp32 on CPU (the model is
never moved to the device). Image-only.

Environment note: timm 1.0.15 (the version in this venv, inside mteb's `timm>=1.0.15,<1.1`)
cannot import `repo_type_and_id_from_hf_id` from huggingface_hub 2.x, so it switches its hub
loading off and mteb's loader fails with "package not installed"; `_timm_hub_on` re-binds timm's
hub functions to huggingface_hub's when that happened (timm 1.0.31 has no such problem).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import timm
from mteb.models.model_implementations.moco_models import mocov3_loader

from parity_families import probes
from parity_families.mteb_side import _mteb_calls
from parity_families.mteb_side._offline_hub import hub_repo

REPO_ID = "nyu-visionx/moco-v3-vit-tiny"


@contextlib.contextmanager
def _sized_like(checkpoint: Path) -> Iterator[None]:
    """While active, `timm.create_model` also gets the checkpoint's `model_args`."""
    model_args = json.loads((checkpoint / "config.json").read_text("utf-8"))["model_args"]
    create_model = timm.create_model
    timm.create_model = lambda name, **kwargs: create_model(name, **kwargs, **model_args)
    try:
        yield
    finally:
        timm.create_model = create_model


def _timm_hub_on() -> None:
    from functools import partial

    import huggingface_hub
    from huggingface_hub.utils import EntryNotFoundError
    from timm.models import _hub

    if not _hub._has_hf_hub:
        _hub.hf_hub_download = partial(huggingface_hub.hf_hub_download, library_name="timm",
                                       library_version=timm.__version__)  # fmt: skip
        _hub.EntryNotFoundError = EntryNotFoundError
        _hub._has_hf_hub = True


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    _timm_hub_on()
    with hub_repo(checkpoint, REPO_ID) as name, _sized_like(checkpoint):
        model = mocov3_loader(name, revision=None)
    images = probes.images()
    return {"image": _mteb_calls.images_plain(model, images, mieb_era_tensors=True)}
