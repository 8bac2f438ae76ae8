"""EBind (``encord-team/ebind-full``) on images and texts: its Perception Encoder backbones.

The reference (mteb 2.26's ``EBindWrapper`` on the ``ebind`` package) loads the ebind-full repo
(a config and the audio / points projectors) and then, whatever that repo says, the vision and
text towers of Meta's ``facebook/PE-Core-L14-336/PE-Core-L14-336.pt`` at the revision pinned in
``ebind.consts``. Images and texts are not projected: an embedding is the PE tower's output,
L2-normalised by the tower, both computed under ``torch.autocast(<device type>, bfloat16)`` (on
the CPU too), then L2-normalised again by the wrapper; an image+text input is the sum of its two
normalised embeddings, normalised. The published row's params name the repo, file and revision.

Here: the ebind-full ``config.json`` is fetched at the requested revision (identity; it must
name image and text), the ``.pt`` with huggingface_hub at its pinned revision, and its keys are
converted into open_clip's ``PE-Core-L-14-336`` (a timm PE tower, open_clip's text tower) by
`pytest_mieb.models.perception_encoder`: vision keys with timm's own converter
(``eva.checkpoint_filter_fn``, Meta names -> timm names), text keys under ``text.``; the load is
strict both ways (ebind loads with ``strict=False``), and the attention pooling runs as Meta's
``nn.MultiheadAttention`` does, so that bf16 autocast rounds as in ebind.
Preprocessing is ebind's: torchvision bilinear shortest-side resize, centre crop, RGB
conversion *after* the resize, ``ToTensor``, normalise with mean = std = 0.5; images reach it in
their stored mode (``keeps_image_mode``), as mteb 2.26 hands them over. Texts: the CLIP BPE
tokenizer (lower-cased, ftfy-cleaned), context 32, truncated with the EOT kept.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pytest_mieb.models.errors import (
    ModelLoadError,
    short,
    weights_not_loaded,
)
from pytest_mieb.models.fingerprints import hash_file, pick_revision
from pytest_mieb.models.hf_loading import hub_file
from pytest_mieb.models.id_forms import ModelRef
from pytest_mieb.models.loaded import LoadedEncoder
from pytest_mieb.models.model_table import published_model
from pytest_mieb.runtime import dtype_name

#: What the EBind config must list for image and text to be embedded.
NEEDED_MODALITIES = ("image", "text")


class EBindEncoder(LoadedEncoder):
    """The PE towers of EBind behind the `Encoder` protocol.

    Images are transformed here, not in DataLoader workers, because ebind converts them to RGB
    after resizing (`keeps_image_mode`). `autocast` is the dtype the towers run under on every
    device (bf16, as ``EBindModel.forward``; None: plain fp32, for numerical checks).
    """

    keeps_image_mode = True

    def __init__(
        self,
        *,
        name: str,
        revision: str,
        model: Any,
        pixels: Any,
        tokenizer: Any,
        device: str,
        identity: dict[str, Any],
        autocast: Any,
    ) -> None:
        self._hold(
            name=name,
            revision=revision,
            model=model,
            device=device,
            image_transform=None,
            identity=identity,
        )
        self.pixels = pixels
        self.tokenizer = tokenizer
        self.autocast = autocast
        self._measure_embed_dim()

    def encode_images(self, images: Sequence[Any]) -> Any:
        return self._finish(self._image_tower(images))

    def encode_texts(self, texts: Sequence[str]) -> Any:
        return self._finish(self._text_tower(texts))

    def encode_fused(self, images: Sequence[Any], texts: Sequence[str]) -> Any:
        if len(images) != len(texts):
            raise ValueError(
                f"fused inputs need as many texts as images: {len(images)} != {len(texts)}"
            )
        return self._finish(self._text_tower(texts) + self._image_tower(images))

    def _image_tower(self, images: Sequence[Any]) -> Any:
        import torch

        if len(images) == 0:
            raise ValueError("no images to encode")
        batch = torch.stack([self.pixels(image) for image in images]).to(self.device)
        return self._tower(self.model.encode_image, batch)

    def _text_tower(self, texts: Sequence[str]) -> Any:
        return self._tower(self.model.encode_text, self.tokenizer(list(texts)).to(self.device))

    def _tower(self, encode: Any, inputs: Any) -> Any:
        """One tower's output, L2-normalised inside the autocast region (in its dtype)."""
        import torch
        import torch.nn.functional as F

        with torch.inference_mode():
            if self.autocast is None:
                return F.normalize(encode(inputs), dim=-1)
            device_type = torch.device(self.device).type
            with torch.autocast(device_type=device_type, dtype=self.autocast):
                return F.normalize(encode(inputs), dim=-1)

    @staticmethod
    def _finish(embeddings: Any) -> Any:
        """The wrapper's last step: L2-normalise (in the towers' dtype), then float32."""
        import torch
        import torch.nn.functional as F

        with torch.inference_mode():
            return F.normalize(embeddings, p=2, dim=-1).float()


def load_ebind(ref: ModelRef, *, device: str, dtype: Any) -> EBindEncoder:
    import open_clip
    import torch

    from pytest_mieb.models.perception_encoder import (
        PE_MEAN_STD,
        pe_image_transform,
        pe_to_open_clip,
        use_meta_pooling,
    )

    recipe = _recipe(ref)
    config_path = hub_file(ref, ref.target, "config.json", ref.revision)
    _check_config(ref, config_path)
    weights = hub_file(ref, recipe["pe_repo"], recipe["pe_file"], recipe["pe_revision"])
    revision = pick_revision(ref.revision, config_path)
    arch = recipe["open_clip_model"]
    model = open_clip.create_model(arch, pretrained=None)
    try:
        checkpoint = torch.load(weights, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file: one line
        raise ModelLoadError(
            f"{ref.name!r}: cannot read {recipe['pe_file']} ({weights}): {short(exc)}"
        ) from exc
    state = pe_to_open_clip(checkpoint, model)
    # assign: the towers take the file's tensors (and dtype) as ebind's `load_ckpt` does
    result = model.load_state_dict(state, strict=False, assign=True)
    if result.missing_keys:
        raise weights_not_loaded(ref.name, result.missing_keys)
    if result.unexpected_keys:
        raise ModelLoadError(
            f"{recipe['pe_file']} of {ref.name!r} holds weights open_clip's {arch} has no place "
            f"for ({short(', '.join(sorted(result.unexpected_keys)))}); it does not match the "
            "architecture"
        )
    use_meta_pooling(model.visual.trunk)
    if dtype_name(dtype) != "float32":  # weights cast on request (the recipe keeps fp32)
        model.to(dtype=dtype)
    model.to(device=device).eval()
    model.requires_grad_(False)
    image_size = int(open_clip.get_model_config(arch)["vision_cfg"]["image_size"])
    tokenizer = open_clip.get_tokenizer(arch)
    identity = {
        "adapter": "ebind",
        "model": [ref.target, arch, recipe["pe_repo"], recipe["pe_file"], recipe["pe_revision"]],
        "weights": f"commit:{recipe['pe_revision']}|config:{hash_file(config_path)}",
        "revision": revision,
        "preprocess": ["bilinear-resize-crop-then-rgb", image_size, PE_MEAN_STD],
        "tokenizer": [type(tokenizer).__name__, tokenizer.context_length],
        "dtype": dtype_name(dtype),
        "autocast": "bfloat16",
    }
    return EBindEncoder(
        name=ref.name,
        revision=revision,
        model=model,
        pixels=pe_image_transform(image_size),
        tokenizer=tokenizer,
        device=device,
        identity=identity,
        autocast=torch.bfloat16,
    )


def _recipe(ref: ModelRef) -> dict[str, str]:
    """The family params naming the PE architecture and weights, from the published row."""
    row = published_model(ref.target)
    params = row.params if row is not None else {}
    keys = ("open_clip_model", "pe_repo", "pe_file", "pe_revision")
    if not all(key in params for key in keys):
        raise ModelLoadError(
            f"{ref.name!r} is not a published EBind id (encord-team/ebind-full); its recipe "
            "(PE backbone repo, file, revision) is unknown"
        )
    return {key: str(params[key]) for key in keys}


def _check_config(ref: ModelRef, path: str) -> None:
    try:
        with open(path, encoding="utf-8") as fh:
            config = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{ref.name!r}: unreadable config.json: {short(exc)}") from exc
    if not isinstance(config, dict) or config.get("model_type") != "ebind":
        raise ModelLoadError(f"{ref.name!r}: config.json is not an EBind config (model_type ebind)")
    modalities = config.get("modalities") or NEEDED_MODALITIES  # none listed: all (EBindConfig)
    lacking = [m for m in NEEDED_MODALITIES if m not in modalities]
    if lacking:
        raise ModelLoadError(
            f"{ref.name!r}: its EBind config lists no {' or '.join(lacking)} modality"
        )
