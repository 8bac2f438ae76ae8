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

Where the processor is the stock PIL resize -> centre-crop -> rescale -> normalise pipeline
(CLIP, SigLIP, ...), the same pixels come cheaper (`fast_pixel_recipe`): workers resize and
crop with PIL exactly as the processor does and hand over uint8 images; `encode_pixels`
rescales and normalises the whole batch in one op. The pixels match the processor's within
float rounding (checked on probe images at load), so the fingerprint does not change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pytest_mieb.data.images import to_rgb
from pytest_mieb.models.errors import ModelLoadError
from pytest_mieb.models.hf_loading import (
    checkpoint_identity,
    load_config,
    load_weights,
    pil_backend_kwarg,
    prepare_for_inference,
    revision_of,
    source_kwargs,
    translated_errors,
)
from pytest_mieb.models.id_forms import ModelRef
from pytest_mieb.models.imaging import ResizeCropNormalize, agrees_on_probes
from pytest_mieb.models.loaded import LoadedEncoder
from pytest_mieb.models.packing import PackedLayout, layout_from_examples
from pytest_mieb.models.towers import DualTowerEncoder

#: Methods of transformers' PIL image processor that `fast_pixel_recipe` reproduces; a
#: processor class that overrides any of them does something else and keeps its own path.
_PIL_PIPELINE = (
    "preprocess",
    "_standardize_kwargs",
    "_preprocess_image_like_inputs",
    "_prepare_image_like_inputs",
    "process_image",
    "_preprocess",
    "resize",
    "center_crop",
    "rescale",
    "normalize",
)
#: model types whose text tower expects fixed-length ("max_length") padding.
MAX_LENGTH_PADDING = ("siglip", "siglip2")
BLIP_RETRIEVAL = "BlipForImageTextRetrieval"
#: Captioning checkpoints: refused (see `load_transformers_dual`).
BLIP_CAPTIONING = "BlipForConditionalGeneration"


class HFImageTransform:
    """PIL image -> the model's pixel tensor (C, H, W), or a packed vector (see `packing`).

    With a `fast` recipe (see `fast_pixel_recipe`) it returns the resized, cropped uint8
    image instead, and `to_model_pixels` finishes the batch (rescale + normalise at once).
    """

    def __init__(
        self,
        image_processor: Any,
        layout: PackedLayout | None = None,
        fast: ResizeCropNormalize | None = None,
    ) -> None:
        if fast is not None and layout is not None:
            raise ValueError("the fast pixel path gives pixel_values only, not packed inputs")
        self.image_processor = image_processor
        self.layout = layout
        self.fast = fast

    def features(self, image: Any) -> dict[str, Any]:
        """The image processor's own output for one image (the reference path)."""
        out = self.image_processor(images=to_rgb(image), return_tensors="pt")
        return {key: value[0] for key, value in out.items()}

    @property
    def hwc_uint8(self) -> Callable[[Any], Any] | None:
        """The fast recipe's (H, W, 3) uint8 step, for batch builders; None without one."""
        return None if self.fast is None else self.fast.hwc_uint8

    def __call__(self, image: Any) -> Any:
        if self.fast is not None:
            return self.fast(image)
        feats = self.features(image)
        if self.layout is None:
            return feats["pixel_values"]
        return self.layout.pack(feats)

    def to_model_pixels(self, batch: Any) -> Any:
        """A stacked batch of `__call__` outputs -> float pixel_values (uint8 = fast path)."""
        if self.fast is not None and not batch.is_floating_point():
            return self.fast.normalize(batch)
        return batch


class TransformersDualEncoder(LoadedEncoder, DualTowerEncoder):
    """A loaded transformers two-tower model behind the `Encoder` protocol."""

    _image_transform: HFImageTransform

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
        self._hold(
            name=name,
            revision=revision,
            model=model,
            device=device,
            image_transform=image_transform,
            identity=identity,
        )
        self.text_processor = text_processor
        self.padding = padding
        self.blip_retrieval = blip_retrieval
        self._measure_embed_dim()

    def encode_pixels(self, pixels: Any) -> Any:
        import torch

        transform = self._image_transform
        if transform.layout is not None:
            inputs = transform.layout.unpack(pixels)
        else:
            inputs = {"pixel_values": transform.to_model_pixels(pixels.to(self.device))}
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
    if architecture == BLIP_CAPTIONING:
        raise ModelLoadError(
            f"{ref.name!r} is a BLIP captioning checkpoint ({architecture}): it holds no text "
            "encoder or projection heads to embed with (mteb fills them with fresh random "
            "weights, so its published scores cannot be reproduced); use a retrieval checkpoint "
            "such as Salesforce/blip-itm-base-coco"
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
    layout = _layout_for(image_processor)
    fast = fast_pixel_recipe(image_processor) if layout is None else None
    transform = HFImageTransform(image_processor, layout, fast)
    padding: bool | str = "max_length" if model_type in MAX_LENGTH_PADDING else True
    revision = revision_of(ref, config)
    identity = {
        **checkpoint_identity("transformers-dual", ref, revision, architecture, dtype),
        "blip_retrieval": blip_retrieval,
        "image_processor": image_processor.to_dict(),
        "text": {
            "padding": padding,
            "truncation": True,
            "processor": type(text_processor).__name__,
        },
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


def fast_pixel_recipe(image_processor: Any) -> ResizeCropNormalize | None:
    """The fast split of `image_processor`'s pipeline, or None to keep the processor.

    Taken only for transformers' PIL backend running its stock steps (no step overridden by
    the processor class): resize to a shortest edge or to a fixed size with a PIL filter,
    optional centre crop, rescale and normalise on, no padding. Even then, a few probe
    images of different sizes and aspect ratios must come out of both paths with the same
    shape and within `FAST_PIXEL_TOLERANCE`, so a configuration this reading misjudges
    falls back instead of changing the pixels.
    """
    try:
        recipe = _recipe_from_config(image_processor)
        if recipe is None or not agrees_on_probes(HFImageTransform(image_processor), recipe):
            return None
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    return recipe


def _recipe_from_config(processor: Any) -> ResizeCropNormalize | None:
    try:
        from transformers.image_processing_backends import PilBackend
    except ImportError:  # transformers 4: no PIL backend class to recognise
        return None
    if not isinstance(processor, PilBackend) or any(
        getattr(type(processor), name, None) is not getattr(PilBackend, name, None)
        for name in _PIL_PIPELINE
    ):
        return None
    switches = (processor.do_resize, processor.do_rescale, processor.do_normalize)
    if switches != (True, True, True) or getattr(processor, "do_pad", None):
        return None
    resample = processor.resample
    if isinstance(resample, bool) or not isinstance(resample, int):
        return None  # None or a torchvision interpolation mode: not a PIL filter as given
    size = _size_fields(processor.size)
    if set(size) == {"shortest_edge"}:
        resize: dict[str, Any] = {"shortest_edge": size["shortest_edge"]}
    elif set(size) == {"height", "width"}:
        resize = {"size": (size["height"], size["width"])}
    else:
        return None
    crop = None
    if processor.do_center_crop:
        crop_size = _size_fields(processor.crop_size)
        if set(crop_size) != {"height", "width"}:
            return None
        crop = (crop_size["height"], crop_size["width"])
    return ResizeCropNormalize(
        resample=int(resample),
        scale=float(processor.rescale_factor),
        mean=_per_channel(processor.image_mean),
        std=_per_channel(processor.image_std),
        crop=crop,
        **resize,
    )


def _size_fields(size: Any) -> dict[str, int]:
    """The set entries of a size dict (plain dict or transformers' SizeDict)."""
    items = size.items() if isinstance(size, dict) else vars(size).items()
    return {key: int(value) for key, value in items if value is not None}


def _per_channel(value: Any) -> tuple[float, float, float]:
    values = [float(value)] * 3 if isinstance(value, (int, float)) else [float(v) for v in value]
    if len(values) != 3:
        raise ValueError(f"expected 3 channel values, got {values}")
    return values[0], values[1], values[2]


def _pooled(output: Any) -> Any:
    """transformers 5 returns a model output whose pooler_output is the projected feature.

    An output without one (BLIP-2's ``get_image_features`` in transformers 5 leaves it None)
    holds no single embedding per input: a `ModelLoadError` says so, instead of a None that
    fails later with an unrelated AttributeError.
    """
    if not hasattr(output, "pooler_output") and hasattr(output, "shape"):
        return output
    pooled = getattr(output, "pooler_output", None)
    if pooled is None:
        raise ModelLoadError(
            f"the model's features come as {type(output).__name__} without a pooled embedding "
            "(pooler_output is empty): it is not a dual encoder pytest-mieb can embed with "
            "get_image_features / get_text_features"
        )
    return pooled


def _unit(x: Any) -> Any:
    import torch

    return torch.nn.functional.normalize(x, dim=-1)
