"""Two-tower image-text models from transformers: CLIP, SigLIP, SigLIP 2, ALIGN, BLIP, ...

Any ``AutoModel`` with ``get_image_features`` / ``get_text_features`` works; embeddings
are the raw (unnormalised) projected features, as MIEB's reference wrappers return them.
BLIP retrieval checkpoints (``BlipForImageTextRetrieval``: Salesforce/blip-itm-*) have no
such methods; as in MIEB they are embedded with the retrieval heads: the [CLS] state of
the vision model / text encoder through ``vision_proj`` / ``text_proj``, L2-normalised.

Preprocessing follows the reference wrappers: images go through the checkpoint's image
processor (PIL backend) after conversion to RGB; texts through its processor with
``truncation=True`` and ``padding="max_length"`` for SigLIP / SigLIP 2 (they pool the
last position and were trained on fixed-length text), longest-in-batch padding otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_mieb.models.errors import ModelLoadError
from pytest_mieb.models.hf_loading import (
    load_config,
    load_weights,
    pil_backend_kwarg,
    prepare_for_inference,
    revision_of,
    source_kwargs,
    translated_errors,
    weights_identity,
)
from pytest_mieb.models.identity import fingerprint
from pytest_mieb.models.ids import ModelRef
from pytest_mieb.models.imaging import to_rgb
from pytest_mieb.models.packing import PackedLayout, layout_from_examples
from pytest_mieb.models.runtime import dtype_name
from pytest_mieb.models.towers import DualTowerEncoder

#: model types whose text tower expects fixed-length ("max_length") padding.
MAX_LENGTH_PADDING = ("siglip", "siglip2")
BLIP_RETRIEVAL = "BlipForImageTextRetrieval"


class HFImageTransform:
    """PIL image -> the model's pixel tensor (C, H, W), or a packed vector (see `packing`)."""

    def __init__(self, image_processor: Any, layout: PackedLayout | None = None) -> None:
        self.image_processor = image_processor
        self.layout = layout

    def features(self, image: Any) -> dict[str, Any]:
        out = self.image_processor(images=to_rgb(image), return_tensors="pt")
        return {key: value[0] for key, value in out.items()}

    def __call__(self, image: Any) -> Any:
        feats = self.features(image)
        if self.layout is None:
            return feats["pixel_values"]
        return self.layout.pack(feats)


class TransformersDualEncoder(DualTowerEncoder):
    """A loaded transformers two-tower model behind the `Encoder` protocol."""

    similarity = "cosine"

    def __init__(
        self,
        *,
        name: str,
        revision: str,
        model: Any,
        text_processor: Any,
        image_transform: HFImageTransform,
        device: str,
        padding: bool | str,
        blip_retrieval: bool,
        identity: dict[str, Any],
    ) -> None:
        self.name = name
        self.revision = revision
        self.model = model
        self.text_processor = text_processor
        self._image_transform = image_transform
        self.device = device
        self.dtype = next(model.parameters()).dtype
        self.padding = padding
        self.blip_retrieval = blip_retrieval
        self._fingerprint = fingerprint(identity)
        self.embed_dim = int(self.encode_texts(["a"]).shape[1])

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def image_transform(self) -> HFImageTransform:
        return self._image_transform

    def encode_pixels(self, pixels: Any) -> Any:
        import torch

        layout = self._image_transform.layout
        inputs = layout.unpack(pixels) if layout is not None else {"pixel_values": pixels}
        inputs = {
            key: value.to(self.device, self.dtype if value.is_floating_point() else None)
            for key, value in inputs.items()
        }
        with torch.inference_mode():
            if self.blip_retrieval:
                states = self.model.vision_model(pixel_values=inputs["pixel_values"])[0]
                emb = _unit(self.model.vision_proj(states[:, 0, :]))
            else:
                emb = _pooled(self.model.get_image_features(**inputs))
        return emb.float()

    def encode_texts(self, texts: Sequence[str]) -> Any:
        import torch

        tokens = self.text_processor(
            text=list(texts), padding=self.padding, truncation=True, return_tensors="pt"
        )
        inputs = {k: v.to(self.device) for k, v in tokens.items() if k != "token_type_ids"}
        with torch.inference_mode():
            if self.blip_retrieval:
                states = self.model.text_encoder(
                    input_ids=inputs["input_ids"], attention_mask=inputs.get("attention_mask")
                )[0]
                emb = _unit(self.model.text_proj(states[:, 0, :]))
            else:
                emb = _pooled(self.model.get_text_features(**inputs))
        return emb.float()


def load_transformers_dual(
    ref: ModelRef, *, device: str, dtype: Any, trust_remote_code: bool
) -> TransformersDualEncoder:
    import transformers

    config = load_config(ref, trust_remote_code)
    architecture = (getattr(config, "architectures", None) or [""])[0]
    model_type = str(getattr(config, "model_type", ""))
    if "llava" in model_type:
        raise ModelLoadError(
            f"{ref.name!r} is a generative LLaVA-style model ({architecture}); to embed it with "
            f"E5-V's prompts use the id 'e5-v:{ref.target}'"
        )
    blip_retrieval = architecture == BLIP_RETRIEVAL
    model_class = (
        transformers.BlipForImageTextRetrieval if blip_retrieval else transformers.AutoModel
    )
    model = load_weights(model_class, ref, dtype, trust_remote_code)
    if not blip_retrieval and not (
        hasattr(model, "get_image_features") and hasattr(model, "get_text_features")
    ):
        raise ModelLoadError(
            f"{ref.name!r} ({type(model).__name__}) has no get_image_features / "
            "get_text_features: it is not a two-tower image-text model; wrap it in your own "
            "Encoder and pass --mieb-model=package.module:factory"
        )
    text_processor, image_processor = _load_processors(ref, trust_remote_code)
    transform = HFImageTransform(image_processor, _layout_for(image_processor))
    padding: bool | str = "max_length" if model_type in MAX_LENGTH_PADDING else True
    revision = revision_of(ref, config)
    identity = {
        "adapter": "transformers-dual",
        "id": ref.name if not ref.local else "local",
        "revision": revision,
        "weights": weights_identity(ref, revision),
        "architecture": architecture,
        "blip_retrieval": blip_retrieval,
        "image_processor": image_processor.to_dict(),
        "text": {
            "padding": padding,
            "truncation": True,
            "processor": type(text_processor).__name__,
        },
        "dtype": dtype_name(dtype),
    }
    return TransformersDualEncoder(
        name=ref.name,
        revision=revision,
        model=prepare_for_inference(model, device),
        text_processor=text_processor,
        image_transform=transform,
        device=device,
        padding=padding,
        blip_retrieval=blip_retrieval,
        identity=identity,
    )


def _load_processors(ref: ModelRef, trust_remote_code: bool) -> tuple[Any, Any]:
    """(text processor, PIL image processor); the processor carries per-model text defaults.

    Repositories without a processor config fall back to the bare tokenizer and image
    processor.
    """
    from transformers import AutoImageProcessor, AutoProcessor, AutoTokenizer

    kwargs = {**source_kwargs(ref, trust_remote_code), **pil_backend_kwarg()}
    with translated_errors(ref):
        try:
            processor = AutoProcessor.from_pretrained(ref.target, **kwargs)
        except (OSError, ValueError, TypeError):
            processor = None  # the loaders below raise the telling error, if any
        image_processor = getattr(processor, "image_processor", None)
        if image_processor is None:
            image_processor = AutoImageProcessor.from_pretrained(ref.target, **kwargs)
        if not hasattr(processor, "tokenizer"):
            processor = AutoTokenizer.from_pretrained(
                ref.target, **source_kwargs(ref, trust_remote_code)
            )
    return processor, image_processor


def _layout_for(image_processor: Any) -> PackedLayout | None:
    """None when the processor gives only pixel_values; else a layout over probe images."""
    from PIL import Image

    probes = [Image.new("RGB", size, (127, 127, 127)) for size in ((64, 48), (48, 64), (96, 96))]
    transform = HFImageTransform(image_processor)
    examples = [transform.features(probe) for probe in probes]
    if set(examples[0]) == {"pixel_values"}:
        return None
    return layout_from_examples(examples)


def _pooled(output: Any) -> Any:
    """transformers 5 returns a model output whose pooler_output is the projected feature."""
    if hasattr(output, "pooler_output"):
        return output.pooler_output
    return output


def _unit(x: Any) -> Any:
    import torch

    return torch.nn.functional.normalize(x, dim=-1)
