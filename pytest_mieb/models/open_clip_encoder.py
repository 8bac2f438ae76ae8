"""OpenCLIP models (open_clip.create_model_and_transforms / get_tokenizer).

Three sources (see `pytest_mieb.models.id_forms` for the id forms):

* a built-in architecture with a pretrained tag (weights fetched through open_clip's
  registry) or with a checkpoint file;
* a hub repo holding ``open_clip_config.json`` and weights (``hf-hub:``, laion ids),
  pinned with ``@revision``;
* a local directory in the same layout.

Loading is strict: open_clip loads full checkpoints with ``strict=True`` and we turn its
missing-key error into `ModelLoadError`; open_clip only *warns* when a hub repo or a
directory has no weights (leaving a random model), so we find the weights first and
refuse when there are none. Embeddings are the raw ``encode_image`` / ``encode_text``
outputs (no normalisation), as in MIEB's reference wrapper.

Preprocessing is the model's own ``preprocess``; where it is the stock torchvision
``[PIL steps..., ToTensor, Normalize]`` it is split at ``ToTensor`` (`SplitAtToTensor`):
workers hand over uint8 images and the batch is normalised on the model's device.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from typing import Any

from pytest_mieb.models.errors import (
    ModelLoadError,
    not_available_offline,
    short,
    weights_not_loaded,
)
from pytest_mieb.models.fingerprints import content_identity, pick_revision
from pytest_mieb.models.id_forms import ModelRef
from pytest_mieb.models.imaging import SplitAtToTensor, split_at_to_tensor
from pytest_mieb.models.loaded import LoadedEncoder
from pytest_mieb.models.towers import DualTowerEncoder
from pytest_mieb.runtime import dtype_name

#: What open_clip looks for in a directory (its own search order prefers open_clip_*).
CHECKPOINT_SUFFIXES = (".safetensors", ".bin", ".pth")
_MISSING = re.compile(r'Missing key\(s\) in state_dict: ((?:"[^"]+",?\s*)+)')


class OpenClipEncoder(LoadedEncoder, DualTowerEncoder):
    """A loaded open_clip model behind the `Encoder` protocol.

    `dtype` is what pixels are cast to before the image tower: the dtype the model was
    loaded in. It cannot be read off the weights, because open_clip's fp16/bf16 modes cast
    only the layers (class and position embeddings stay fp32, and come first).
    """

    def __init__(
        self,
        *,
        name: str,
        revision: str,
        model: Any,
        preprocess: Any,
        tokenizer: Any,
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
        self.tokenizer = tokenizer
        self._measure_embed_dim()

    def encode_pixels(self, pixels: Any) -> Any:
        import torch

        pixels = pixels.to(self.device)
        if isinstance(self._image_transform, SplitAtToTensor) and not pixels.is_floating_point():
            pixels = self._image_transform.normalize(pixels)
        with torch.inference_mode():
            return self.model.encode_image(pixels.to(self.dtype)).float()

    def encode_texts(self, texts: Sequence[str]) -> Any:
        import torch

        tokens = self.tokenizer(list(texts)).to(self.device)
        with torch.inference_mode():
            return self.model.encode_text(tokens).float()


def load_open_clip(ref: ModelRef, *, device: str, dtype: Any) -> OpenClipEncoder:
    import open_clip
    import torch

    if ref.pretrained is not None:
        model_name, pretrained, checkpoint, revision, source = _builtin(ref)
        tokenizer_name = ref.target
    else:
        location = ref.target if ref.local else _hub_snapshot(ref)
        checkpoint = _directory_checkpoint(ref, location)
        model_name, pretrained, source = f"local-dir:{location}", None, location
        revision = pick_revision(ref.revision, os.path.abspath(location))
        tokenizer_name = _tokenizer_source(ref, location)
    precision = open_clip_precision(dtype)
    input_dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(precision, torch.float32)
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(
            model_name, pretrained=pretrained, device=device, precision=precision
        )
        tokenizer = open_clip.get_tokenizer(tokenizer_name)
    except (RuntimeError, ValueError, KeyError) as exc:
        missing = _MISSING.search(str(exc))
        if missing:
            raise weights_not_loaded(ref.name, re.findall(r'"([^"]+)"', missing.group(1))) from exc
        raise ModelLoadError(f"open_clip cannot load {ref.name!r}: {short(exc)}") from exc
    except OSError as exc:
        raise not_available_offline(ref.name, ref.revision, str(exc)) from exc
    model.eval()
    model.requires_grad_(False)
    identity = {
        "adapter": "open_clip",
        "model": _model_key(ref),
        "weights": content_identity(source if ref.pretrained is None else checkpoint, revision),
    }
    return open_clip_encoder(
        ref.name, revision, model, preprocess, tokenizer, device, input_dtype, identity
    )


def open_clip_precision(dtype: Any) -> str:
    """open_clip's name for the weights' dtype ("fp32" for anything but half precisions)."""
    return {"float16": "fp16", "bfloat16": "bf16"}.get(dtype_name(dtype), "fp32")


def open_clip_encoder(
    name: str,
    revision: str,
    model: Any,
    preprocess: Any,
    tokenizer: Any,
    device: str,
    dtype: Any,
    identity: dict[str, Any],
) -> OpenClipEncoder:
    """The encoder of a loaded open_clip model; `identity` (what names the model and its
    weights) gets the revision, preprocessing, tokenizer and dtype added."""
    import open_clip

    identity = {
        **identity,
        "revision": revision,
        "preprocess": open_clip.get_model_preprocess_cfg(model),
        "tokenizer": [type(tokenizer).__name__, getattr(tokenizer, "context_length", None)],
        "dtype": dtype_name(dtype),
    }
    return OpenClipEncoder(
        name=name,
        revision=revision,
        model=model,
        preprocess=split_at_to_tensor(preprocess) or preprocess,
        tokenizer=tokenizer,
        device=device,
        dtype=dtype,
        identity=identity,
    )


def _model_key(ref: ModelRef) -> list[str] | str:
    """What names the model, apart from its weights: ARCH + tag, or the hub repo."""
    if ref.pretrained is not None:
        return [ref.target, "file" if os.path.isfile(ref.pretrained) else ref.pretrained]
    return "local" if ref.local else ref.target


def _builtin(ref: ModelRef) -> tuple[str, str, str, str, str]:
    """(model name, pretrained arg, checkpoint path, revision, source) for ARCH/PRETRAINED."""
    import open_clip

    arch, pretrained = ref.target, ref.pretrained or ""
    if arch not in open_clip.list_models():
        raise ModelLoadError(
            f"open_clip has no architecture {arch!r} (in {ref.name!r}); see "
            "open_clip.list_models(), register a custom one with open_clip.add_model_config, "
            "or give a directory holding open_clip_config.json and weights"
        )
    if os.path.isfile(pretrained):
        return arch, pretrained, pretrained, pick_revision(None, pretrained), pretrained
    cfg = open_clip.get_pretrained_cfg(arch, pretrained)
    if not cfg:
        tags = ", ".join(open_clip.list_pretrained_tags_by_model(arch)) or "none"
        raise ModelLoadError(
            f"{pretrained!r} is neither a pretrained tag of open_clip {arch} (tags: {tags}) nor "
            f"an existing checkpoint file (in {ref.name!r})"
        )
    try:
        checkpoint = open_clip.pretrained.download_pretrained(cfg)
    except Exception as exc:  # network / cache failures come in many types
        raise not_available_offline(ref.name, None, str(exc)) from exc
    if not checkpoint:
        raise not_available_offline(ref.name, None, "no download source")
    return arch, pretrained, checkpoint, pick_revision(None, checkpoint), checkpoint


def _hub_snapshot(ref: ModelRef) -> str:
    """Fetch (or find in the cache) the repo's config and weights; return their directory."""
    from open_clip.pretrained import download_pretrained_from_hf

    try:
        config_path = download_pretrained_from_hf(
            ref.target, filename="open_clip_config.json", revision=ref.revision
        )
        download_pretrained_from_hf(ref.target, revision=ref.revision)
    except Exception as exc:  # FileNotFoundError wrapping hub / offline errors
        raise not_available_offline(ref.name, ref.revision, str(exc)) from exc
    return os.path.dirname(config_path)


def _directory_checkpoint(ref: ModelRef, location: str) -> str:
    names = sorted(os.listdir(location))
    found = [n for n in names if n.endswith(CHECKPOINT_SUFFIXES)]
    if not found:
        raise ModelLoadError(
            f"{ref.name!r}: {location} has open_clip_config.json but no checkpoint "
            f"({', '.join('*' + s for s in CHECKPOINT_SUFFIXES)}); open_clip would silently "
            "use random weights"
        )
    return os.path.join(location, found[0])


def _tokenizer_source(ref: ModelRef, location: str) -> str:
    """``local-dir:`` when the directory can build the tokenizer, else the hub repo.

    A config naming an HF tokenizer (``hf_tokenizer_name``) needs tokenizer files; a hub
    snapshot fetched for its weights may not hold them, but the hub id resolves them.
    """
    with open(os.path.join(location, "open_clip_config.json"), encoding="utf-8") as fh:
        text_cfg = json.load(fh).get("model_cfg", {}).get("text_cfg", {})
    has_tokenizer_files = any(
        os.path.isfile(os.path.join(location, n))
        for n in ("tokenizer.json", "tokenizer_config.json")
    )
    if text_cfg.get("hf_tokenizer_name") and not has_tokenizer_files and not ref.local:
        return f"hf-hub:{ref.target}"
    return f"local-dir:{location}"
