"""timm image models (image only): ``timm:`` ids and MoCo v3 (``nyu-visionx/moco-v3-vit-*``).

A timm model created with ``num_classes=0`` returns its pooled features (for a ViT with
``global_pool="token"``: the CLS token after the final norm); that is the embedding, not
normalised, in fp32 unless another precision is asked for. Images go through timm's eval
transform (``create_transform(**resolve_model_data_config(model), is_training=False)``) after
conversion to RGB; its PIL steps run in worker processes and ``ToTensor`` + ``Normalize`` per
batch, with the same arithmetic.

* ``timm:NAME`` takes a timm registry name with its pretrained tag
  (``timm:vit_base_patch16_224.augreg2_in21k_ft_in1k``), ``timm:hf-hub:ORG/NAME[@REV]`` or
  ``timm:DIR`` (a directory in timm's hub layout: ``config.json`` + weights); the data config
  is the model's own.
* MoCo v3, as MIEB's reference loader builds it: the ViT-B/16 (or, for ``vit-l`` ids,
  ViT-L/16) architecture with the repository's weights (``pretrained_cfg_overlay`` with the
  repo as ``hf_hub_id``), and the data config of **timm's default tag of that architecture**
  (resize 248 bicubic, centre crop 224, mean = std = 0.5), not the repository's. Where the
  repository's ``config.json`` gives ``model_args`` they are passed on (the real repos are
  the standard sizes; the tiny test checkpoints are not).
"""

from __future__ import annotations

import json
import os
from typing import Any

from pytest_mieb import hub
from pytest_mieb.models.errors import (
    ModelLoadError,
    not_available_offline,
    short,
    weights_not_loaded,
)
from pytest_mieb.models.fingerprints import content_identity, pick_revision
from pytest_mieb.models.id_forms import ModelRef
from pytest_mieb.models.image_only import ImageOnlyEncoder
from pytest_mieb.models.imaging import SplitAtToTensor, split_at_to_tensor
from pytest_mieb.runtime import dtype_name

MOCO_ARCHITECTURES = {"vit-l": "vit_large_patch16_224", "vit-b": "vit_base_patch16_224"}


class TimmImageEncoder(ImageOnlyEncoder):
    """A timm model without classifier head; its pooled features are the embedding."""

    def __init__(
        self,
        *,
        name: str,
        revision: str,
        model: Any,
        preprocess: Any,
        device: str,
        dtype: Any,
        identity: dict[str, Any],
    ) -> None:
        self._hold(
            name=name,
            revision=revision,
            model=model,
            device=device,
            dtype=dtype,
            image_transform=preprocess,
            identity=identity,
        )
        self.embed_dim = int(model.num_features)

    def encode_pixels(self, pixels: Any) -> Any:
        import torch

        pixels = pixels.to(self.device)
        if isinstance(self._image_transform, SplitAtToTensor) and not pixels.is_floating_point():
            pixels = self._image_transform.normalize(pixels)
        with torch.inference_mode():
            return self.model(pixels.to(self.dtype)).float()


def moco_architecture(repo: str) -> str:
    """The timm architecture MIEB's MoCo v3 loader builds for `repo`."""
    return MOCO_ARCHITECTURES["vit-l" if "vit-l" in repo.lower() else "vit-b"]


def load_timm(ref: ModelRef, *, device: str, dtype: Any) -> TimmImageEncoder:
    """Load a ``timm:`` id (backend "timm") or a MoCo v3 hub repo (backend "moco")."""
    if ref.backend == "moco":
        name, revision = moco_architecture(ref.target), ref.revision
        hub_id = ref.target + (f"@{ref.revision}" if ref.revision else "")
        kwargs: dict[str, Any] = {
            "pretrained_cfg_overlay": {"hf_hub_id": hub_id},
            **_repo_model_args(ref),
        }
        source = f"hub:{hub_id}"
    elif ref.local:
        name, revision, kwargs = f"local-dir:{ref.target}", None, {}
        source = content_identity(ref.target, pick_revision(None, os.path.abspath(ref.target)))
    else:
        name, revision, kwargs = ref.target, ref.revision, {}
        source = f"timm:{ref.target}"
    model = _create(ref, name, kwargs)
    preprocess = _eval_transform(model)
    model.eval()
    model.requires_grad_(False)
    model = model.to(device=device, dtype=dtype)
    resolved = pick_revision(revision, os.path.abspath(ref.target) if ref.local else None)
    identity = {
        "adapter": f"timm-{ref.backend}",
        "model": name if not ref.local else "local",
        "weights": source,
        "revision": resolved,
        "data_config": _data_config(model),
        "dtype": dtype_name(dtype),
    }
    return TimmImageEncoder(
        name=ref.name,
        revision=resolved,
        model=model,
        preprocess=split_at_to_tensor(preprocess) or preprocess,
        device=device,
        dtype=dtype,
        identity=identity,
    )


def _create(ref: ModelRef, name: str, kwargs: dict[str, Any]) -> Any:
    import timm

    try:
        return timm.create_model(name, pretrained=True, num_classes=0, **kwargs)
    except RuntimeError as exc:
        if "Missing key" in str(exc) or "size mismatch" in str(exc):
            raise weights_not_loaded(ref.name, [short(exc)]) from exc
        raise ModelLoadError(f"timm cannot load {ref.name!r}: {short(exc)}") from exc
    except (OSError, ValueError) as exc:
        if hub.decide().local_only or "offline" in str(exc).lower():
            raise not_available_offline(ref.name, ref.revision, str(exc)) from exc
        raise ModelLoadError(f"timm cannot load {ref.name!r}: {short(exc)}") from exc


def _repo_model_args(ref: ModelRef) -> dict[str, Any]:
    """``model_args`` of the repository's timm ``config.json`` (none if it has no such file)."""
    from huggingface_hub import hf_hub_download

    try:
        path = hf_hub_download(ref.target, "config.json", revision=ref.revision)
    except Exception:  # no config.json (or not reachable): the architecture's own sizes
        return {}
    with open(path, encoding="utf-8") as fh:
        config = json.load(fh)
    args = config.get("model_args") if config.get("architecture") else None
    return dict(args) if isinstance(args, dict) else {}


def _eval_transform(model: Any) -> Any:
    from timm.data import create_transform, resolve_model_data_config

    return create_transform(**resolve_model_data_config(model), is_training=False)


def _data_config(model: Any) -> dict[str, Any]:
    from timm.data import resolve_model_data_config

    return {key: list(v) if isinstance(v, tuple) else v for key, v in
            resolve_model_data_config(model).items()}  # fmt: skip
