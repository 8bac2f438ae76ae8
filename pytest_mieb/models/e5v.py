"""E5-V: a multimodal LLM (LLaVA-Next) used as an embedder through prompts.

Each input becomes one chat prompt that asks for a one-word summary; its embedding is the
last hidden state (after the final norm) of the prompt's last token. The prompts are
E5-V's (royokong/e5-v, as in MIEB's reference wrapper), wrapped in its Llama-3 chat turn:

* text:  ``<sent>\\nSummary above sentence in one word: ``
* image: ``<image>\\nSummary above image in one word: ``
* image+text (composed): ``[INST] <image> Modify this image with "<sent>" Describe
  modified image in one word: [/INST]``

Any LLaVA-family checkpoint (LlavaForConditionalGeneration, LlavaNext..., loaded by the
class its config names) can be embedded this way with ``e5-v:ID_OR_DIR``; only E5-V was
trained for it. Batches are left-padded so that the last position is every prompt's real
last token (the reference wrapper relies on the tokenizer's own padding side; with right
padding a shorter prompt would be read at a pad token). A tokenizer without a pad token
pads with its end-of-sequence token, masked out.

Image inputs reach the model through `image_transform` as one packed vector per image
(token ids, attention mask, image tiles, image size; see `pytest_mieb.models.packing`),
because LLaVA-Next's number of tiles and image tokens depends on the image's aspect
ratio. The maximum shapes are measured at load on probe images of every grid size the
processor can pick, so any image fits. Anyres padding is transformers 4.44's (the version
E5-V's scores were computed with; see `use_legacy_patch_padding`).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import asdict, dataclass
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
from pytest_mieb.models.imaging import pixel_batch
from pytest_mieb.models.loaded import LoadedEncoder
from pytest_mieb.models.packing import PackedLayout, layout_from_examples

IMAGE_TOKEN = "<image>"
SENTENCE = "<sent>"
MESSAGE = "<msg>"


@dataclass(frozen=True)
class PromptSet:
    """A chat turn (`MESSAGE` marks the user message) and one message per input kind."""

    turn: str
    text: str
    image: str
    fused: str

    def render(self, kind: str, image_token: str = IMAGE_TOKEN) -> str:
        message = getattr(self, kind).replace(IMAGE_TOKEN, image_token)
        return self.turn.replace(MESSAGE, message)


E5V_PROMPTS = PromptSet(
    turn=(
        "<|start_header_id|>user<|end_header_id|>\n\n"
        f"{MESSAGE}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n \n"
    ),
    text=f"{SENTENCE}\nSummary above sentence in one word: ",
    image=f"{IMAGE_TOKEN}\nSummary above image in one word: ",
    fused=(
        f'[INST] {IMAGE_TOKEN} Modify this image with "{SENTENCE}" '
        "Describe modified image in one word: [/INST]"
    ),
)


class PromptImageTransform:
    """PIL image -> the image prompt's processor outputs, packed into one vector."""

    def __init__(self, processor: Any, prompt: str, layout: PackedLayout | None = None) -> None:
        self.processor = processor
        self.prompt = prompt
        self.layout = layout

    def features(self, image: Any) -> dict[str, Any]:
        out = self.processor(text=[self.prompt], images=[to_rgb(image)], return_tensors="pt")
        return {key: value[0] for key, value in out.items()}

    def __call__(self, image: Any) -> Any:
        if self.layout is None:
            raise RuntimeError("PromptImageTransform used before its layout was measured")
        return self.layout.pack(self.features(image))


class PromptLastTokenEncoder(LoadedEncoder):
    """An MLLM behind the `Encoder` protocol: prompt in, last token's last hidden state out."""

    _image_transform: PromptImageTransform

    def __init__(
        self,
        *,
        name: str,
        revision: str,
        model: Any,
        processor: Any,
        prompts: PromptSet,
        device: str,
        identity: dict[str, Any],
    ) -> None:
        image_token = getattr(processor, "image_token", IMAGE_TOKEN) or IMAGE_TOKEN
        transform = PromptImageTransform(processor, prompts.render("image", image_token))
        transform.layout = _measure_layout(transform, processor)
        self._hold(
            name=name,
            revision=revision,
            model=model,
            device=device,
            image_transform=transform,
            identity={**identity, "prompts": asdict(prompts)},
        )
        self.processor = processor
        self.prompts = prompts
        self._text_prompt = prompts.render("text", image_token)
        self._fused_prompt = prompts.render("fused", image_token)
        self._logits_kwargs = _keep_one_logit(model)
        self._measure_embed_dim()

    def encode_pixels(self, pixels: Any) -> Any:
        assert self._image_transform.layout is not None
        return self._last_token(self._image_transform.layout.unpack(pixels))

    def encode_images(self, images: Sequence[Any]) -> Any:
        return self.encode_pixels(pixel_batch(self._image_transform, images))

    def encode_texts(self, texts: Sequence[str]) -> Any:
        prompts = [self._text_prompt.replace(SENTENCE, text) for text in texts]
        tokens = self.processor.tokenizer(text=prompts, padding=True, return_tensors="pt")
        return self._last_token(dict(tokens))

    def encode_fused(self, images: Sequence[Any], texts: Sequence[str]) -> Any:
        if len(images) != len(texts):
            raise ValueError(
                f"fused inputs need as many texts as images: {len(images)} != {len(texts)}"
            )
        prompts = [self._fused_prompt.replace(SENTENCE, text) for text in texts]
        inputs = self.processor(
            text=prompts, images=[to_rgb(im) for im in images], padding=True, return_tensors="pt"
        )
        return self._last_token(dict(inputs))

    def _last_token(self, inputs: dict[str, Any]) -> Any:
        import torch

        moved = {
            key: value.to(self.device, self.dtype if value.is_floating_point() else None)
            for key, value in inputs.items()
            if key != "token_type_ids"
        }
        with torch.inference_mode():
            out = self.model(
                **moved, output_hidden_states=True, return_dict=True, **self._logits_kwargs
            )
        return out.hidden_states[-1][:, -1, :].float()


def load_e5v(
    ref: ModelRef,
    *,
    device: str,
    dtype: Any,
    trust_remote_code: bool,
    prompts: PromptSet = E5V_PROMPTS,
) -> PromptLastTokenEncoder:
    import transformers
    from transformers import AutoProcessor

    config = load_config(ref, trust_remote_code)
    architecture = (getattr(config, "architectures", None) or [""])[0]
    model_class = getattr(transformers, architecture, None) or getattr(
        transformers, "AutoModelForImageTextToText", None
    )
    if model_class is None or not hasattr(config, "vision_config"):
        raise ModelLoadError(
            f"{ref.name!r} ({architecture or config.model_type}) is not a LLaVA-style "
            "vision-language model that E5-V prompts can embed"
        )
    model = load_weights(model_class, ref, dtype, trust_remote_code)
    with translated_errors(ref):
        processor = AutoProcessor.from_pretrained(
            ref.target, **pil_backend_kwarg(), **source_kwargs(ref, trust_remote_code)
        )
    _complete_image_token_settings(processor, config)
    legacy_padding = use_legacy_patch_padding(processor.image_processor)
    tokenizer = processor.tokenizer
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    revision = revision_of(ref, config)
    identity = {
        **checkpoint_identity("e5-v", ref, revision, architecture, dtype),
        "image_processor": processor.image_processor.to_dict(),
        "padding_side": "left",
        **({"patch_padding": "symmetric-floor (transformers 4.44)"} if legacy_padding else {}),
    }
    return PromptLastTokenEncoder(
        name=ref.name,
        revision=revision,
        model=prepare_for_inference(model, device),
        processor=processor,
        prompts=prompts,
        device=device,
        identity=identity,
    )


def _measure_layout(transform: PromptImageTransform, processor: Any) -> PackedLayout:
    """Packed maximum shapes over probe images of every tiling the processor can choose."""
    from PIL import Image

    image_processor = processor.image_processor
    sizes = {(64, 48), (48, 64), (96, 96)}
    for height, width in getattr(image_processor, "image_grid_pinpoints", None) or ():
        sizes.add((int(width), int(height)))
    examples = [
        transform.features(Image.new("RGB", size, (127, 127, 127))) for size in sorted(sizes)
    ]
    pad_id = processor.tokenizer.pad_token_id or 0
    return layout_from_examples(
        examples,
        pad_values={"input_ids": float(pad_id)},
        left_padded=("input_ids", "attention_mask"),
    )


def use_legacy_patch_padding(image_processor: Any) -> bool:
    """Pad anyres images the way transformers 4.44 did, the version E5-V's scores were made with.

    LLaVA-NeXT resizes an image to fit its best grid resolution, then pads it to that resolution.
    transformers 4.44 put ``(target - size) // 2`` on each side, so an odd difference left the
    padded image one pixel short and its last tile one pixel narrow (or low); that tile was then
    resized (shortest edge) and center-cropped to the tile size like every tile. Later versions
    put the odd pixel on the far side. Returns whether the processor was switched (only
    processors that tile images have the step)."""
    if not hasattr(image_processor, "_pad_for_patching"):
        return False
    image_processor._pad_for_patching = _symmetric_floor_pad
    return True


def _symmetric_floor_pad(image: Any, target_resolution: Any, input_data_format: Any = None) -> Any:
    """transformers 4.44's `_pad_for_patching`: zero padding of ``(target - size) // 2`` on
    each side, for channels-first (transformers 5) or the given format (transformers 4.x)."""
    import numpy as np

    channels_last = str(getattr(input_data_format, "value", input_data_format)) == "channels_last"
    height, width = image.shape[:2] if channels_last else image.shape[-2:]
    target_height, target_width = target_resolution
    pad_y, pad_x = (target_height - height) // 2, (target_width - width) // 2
    spatial = [(pad_y, pad_y), (pad_x, pad_x)]
    widths = [*spatial, (0, 0)] if channels_last else [(0, 0)] * (image.ndim - 2) + spatial
    return np.pad(image, widths, mode="constant", constant_values=0)


def _keep_one_logit(model: Any) -> dict[str, Any]:
    """Only the last position's logits are needed (the full vocab x sequence is huge)."""
    params = inspect.signature(model.forward).parameters
    for name in ("logits_to_keep", "num_logits_to_keep"):
        if name in params:
            return {name: 1}
    return {}


def _complete_image_token_settings(processor: Any, config: Any) -> None:
    """Give a processor saved without them (royokong/e5-v ships no processor_config.json) the
    settings transformers 5 needs to expand ``<image>`` into one token per image feature: the
    vision tower's patch size, its feature selection and its CLS token. transformers 4.44 left
    the token unexpanded and merged the features in the model; both give the same sequence."""
    if getattr(processor, "patch_size", 0) is not None:
        return
    processor.patch_size = config.vision_config.patch_size
    processor.vision_feature_select_strategy = getattr(
        config, "vision_feature_select_strategy", "default"
    )
    processor.num_additional_image_tokens = 1  # the CLIP tower's CLS token
