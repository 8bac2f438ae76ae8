"""GME (Qwen2-VL): mteb 2.26's `GmeQwen2VL` recipe.

* one prompt string per input, no chat-template call:
  ``<|im_start|>system\\n{instruction}<|im_end|>\\n<|im_start|>user\\n{image}{text}<|im_end|>\\n
  <|im_start|>assistant\\n<|endoftext|>`` with ``{image}`` =
  ``<|vision_start|><|image_pad|><|vision_end|>`` for an input with an image (before the text)
  and the raw text; the instruction per task and side from `instructions.gme` (documents: the
  default system prompt);
* images: RGB, then qwen-vl-utils' ``smart_resize`` (sides rounded to multiples of 28, at
  least 4 and at most 16384 patches of 28x28, PIL's default filter), then the processor with
  min / max pixels 4 * 28 * 28 / 1280 * 28 * 28;
* tokenizer padding right; ``truncation=True, max_length=1800`` (image tokens included);
* forward: token embeddings with the vision tower's features put at the image tokens, then
  the text decoder alone on plain sequential positions (GME does not use Qwen2-VL's 3-D
  multimodal rope index); the last real token's hidden state, L2-normalised;
* weights in fp16 (the family's precision).
"""

from __future__ import annotations

import math
from typing import Any

from pytest_mieb.models.mllm import instructions
from pytest_mieb.models.mllm.base import MllmEncoder, l2_normalised, last_token
from pytest_mieb.models.mllm.pixels import set_pixel_limits

MIN_PIXELS = 4 * 28 * 28
MAX_PIXELS = 1280 * 28 * 28
MAX_LENGTH = 1800
IMAGE = "<|vision_start|><|image_pad|><|vision_end|>"
TEMPLATE = (
    "<|im_start|>system\n{instruction}<|im_end|>\n<|im_start|>user\n{content}<|im_end|>\n"
    "<|im_start|>assistant\n<|endoftext|>"
)
#: qwen-vl-utils' pre-resize (mteb's copy in gme_v_models): factor, pixel limits, aspect cap.
FACTOR, PRE_MIN_PIXELS, PRE_MAX_PIXELS, MAX_RATIO = 28, 4 * 28 * 28, 16384 * 28 * 28, 200


def smart_resize(height: int, width: int) -> tuple[int, int]:
    """qwen-vl-utils' target size: sides multiples of 28, pixels within the limits."""
    h_bar = max(FACTOR, round(height / FACTOR) * FACTOR)
    w_bar = max(FACTOR, round(width / FACTOR) * FACTOR)
    if h_bar * w_bar > PRE_MAX_PIXELS:
        beta = math.sqrt((height * width) / PRE_MAX_PIXELS)
        h_bar = math.floor(height / beta / FACTOR) * FACTOR
        w_bar = math.floor(width / beta / FACTOR) * FACTOR
    elif h_bar * w_bar < PRE_MIN_PIXELS:
        beta = math.sqrt(PRE_MIN_PIXELS / (height * width))
        h_bar = math.ceil(height * beta / FACTOR) * FACTOR
        w_bar = math.ceil(width * beta / FACTOR) * FACTOR
    if max(h_bar, w_bar) / min(h_bar, w_bar) > MAX_RATIO:
        if h_bar > w_bar:
            h_bar = w_bar * MAX_RATIO
        else:
            w_bar = h_bar * MAX_RATIO
    return h_bar, w_bar


def fetch_image(image: Any) -> Any:
    """RGB, resized to `smart_resize`'s size (PIL's default filter)."""
    image = image.convert("RGB")
    width, height = image.size
    new_height, new_width = smart_resize(height, width)
    return image.resize((new_width, new_height))


def prompt(instruction: str, has_image: bool, text: str | None) -> str:
    content = (IMAGE if has_image else "") + (text if text is not None else "")
    return TEMPLATE.format(instruction=instruction, content=content)


class GmeEncoder(MllmEncoder):
    family = "gme"

    instruction = staticmethod(instructions.gme)
    prompt = staticmethod(prompt)

    def _embed(self, images: list[Any] | None, texts: list[str] | None, context: Any) -> Any:
        import torch

        inputs = self.processor(
            text=self.prompts(images, texts, context),
            images=[fetch_image(im) for im in images] if images else None,
            padding=True,
            truncation=True,
            max_length=MAX_LENGTH,
            return_tensors="pt",
        )
        inputs = self._to_device(inputs)
        with torch.inference_mode():
            hidden = self._decode(inputs)
        return l2_normalised(last_token(hidden, inputs["attention_mask"])).cpu().float()

    def _decode(self, inputs: dict[str, Any]) -> Any:
        """The text decoder's last hidden states over the embedded prompt (image features at
        the image tokens), positions 0..L-1 on every rope axis."""
        inner = self.model.model
        language = getattr(inner, "language_model", inner)
        visual = getattr(inner, "visual", None) or self.model.visual
        input_ids = inputs["input_ids"]
        embeds = language.embed_tokens(input_ids)
        if "pixel_values" in inputs:
            dtype = next(visual.parameters()).dtype
            out = visual(inputs["pixel_values"].to(dtype), grid_thw=inputs["image_grid_thw"])
            features = getattr(out, "pooler_output", out)
            mask = input_ids == self.model.config.image_token_id
            embeds[mask] = features.to(embeds.device, embeds.dtype)
        out = language(
            input_ids=None,
            position_ids=None,
            attention_mask=inputs["attention_mask"],
            inputs_embeds=embeds,
        )
        return out.last_hidden_state


def load(ref: Any, *, device: str, dtype: Any, trust_remote_code: bool) -> GmeEncoder:
    from transformers import AutoProcessor, Qwen2VLForConditionalGeneration

    from pytest_mieb.models.mllm.loading import load_parts

    parts = load_parts(
        ref,
        Qwen2VLForConditionalGeneration,
        AutoProcessor,
        device=device,
        dtype=dtype,
        trust_remote_code=trust_remote_code,
    )
    set_pixel_limits(parts.processor.image_processor, MIN_PIXELS, MAX_PIXELS)
    parts.processor.tokenizer.padding_side = "right"
    return GmeEncoder(
        name=ref.name,
        revision=parts.revision,
        model=parts.model,
        processor=parts.processor,
        device=device,
        identity={
            **parts.identity,
            "padding_side": "right",
            "max_length": MAX_LENGTH,
            "pixels": [MIN_PIXELS, MAX_PIXELS],
        },
    )
