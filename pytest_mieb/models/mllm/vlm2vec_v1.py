"""VLM2Vec (Phi-3.5-V, remote code): mteb 2.26's `VLM2VecWrapper` recipe.

* remote code only with the trust flag: the model and processor code come from
  ``microsoft/Phi-3.5-vision-instruct`` (config with ``use_cache=False``, processor with
  ``num_crops=4``), as mteb hard-codes them; ``TIGER-Lab/VLM2Vec-Full`` holds full weights,
  an adapter repo (``adapter_config.json``: ``TIGER-Lab/VLM2Vec-LoRA``) is merged into the
  base its config names;
* fixed prompts, no task instruction: images ``"<|image_1|> Represent the given image."``,
  image+text ``"<|image_1|> Represent the given image with the following question: {text}"``,
  texts as they are;
* the processor runs on one input at a time (``max_length=256, truncation=True``; the
  Phi-3-V processor ignores both when an image is present), the token ids are right-padded
  with the pad id and the attention mask is ``ids != pad`` (image placeholders, negative ids,
  count as tokens); pixel values and image sizes concatenated;
* the last layer's hidden state of the last non-pad token, L2-normalised; bf16 weights.

Attention: mteb asks for ``flash_attention_2``; it is used where it can run (CUDA with the
``flash_attn`` package), else the remote code's eager attention (same function, other kernel).
Not verified offline: neither the remote code nor the weights can be had here.
"""

from __future__ import annotations

import os
from typing import Any

from pytest_mieb.models.errors import needs_remote_code
from pytest_mieb.models.mllm.base import MllmEncoder, l2_normalised, n_items

BASE = "microsoft/Phi-3.5-vision-instruct"
IMAGE_PROMPT = "<|image_1|> Represent the given image."
FUSED_PROMPT = "<|image_1|> Represent the given image with the following question: {}"
MAX_LENGTH = 256
NUM_CROPS = 4


def prompts(images: list[Any] | None, texts: list[str] | None) -> list[str]:
    if images is None:
        return list(texts or [])
    if texts is None:
        return [IMAGE_PROMPT] * len(images)
    return [FUSED_PROMPT.format(text) for text in texts]


class Vlm2VecV1Encoder(MllmEncoder):
    family = "vlm2vec"

    def prompts(
        self, images: list[Any] | None, texts: list[str] | None, context: Any = None
    ) -> list[str]:
        return prompts(images, texts)

    def batch(self, images: list[Any] | None, texts: list[str] | None) -> dict[str, Any]:
        """The processor on each input alone, then right-padded into one batch."""
        import torch
        from torch.nn.utils.rnn import pad_sequence

        pad_id = self.processor.tokenizer.pad_token_id
        ids, pixels, sizes = [], [], []
        for k, text in enumerate(prompts(images, texts)):
            image = images[k] if images is not None else None
            out = self.processor(
                text, image, return_tensors="pt", max_length=MAX_LENGTH, truncation=True
            )
            ids.append(out["input_ids"][0])
            if image is not None:
                pixels.append(out["pixel_values"])
                sizes.append(out["image_sizes"])
        input_ids = pad_sequence(ids, batch_first=True, padding_value=pad_id)
        batch = {"input_ids": input_ids, "attention_mask": input_ids.ne(pad_id)}
        if pixels:
            batch["pixel_values"] = torch.cat(pixels)
            batch["image_sizes"] = torch.cat(sizes)
        return batch

    def _embed(self, images: list[Any] | None, texts: list[str] | None, context: Any) -> Any:
        import torch

        if n_items(images, texts) == 0:
            return torch.zeros(0, self.embed_dim)
        inputs = self._to_device(self.batch(images, texts))
        with torch.inference_mode():
            out = self.model(**inputs, output_hidden_states=True, return_dict=True)
        hidden = out.hidden_states[-1]
        rows = torch.arange(hidden.shape[0], device=hidden.device)
        last = hidden[rows, inputs["attention_mask"].sum(dim=1) - 1]
        return l2_normalised(last).cpu().float()


def attention(device: str) -> str:
    import importlib.util

    cuda = str(device).startswith("cuda")
    return "flash_attention_2" if cuda and importlib.util.find_spec("flash_attn") else "eager"


def load(ref: Any, *, device: str, dtype: Any, trust_remote_code: bool) -> Vlm2VecV1Encoder:
    if not trust_remote_code:
        raise needs_remote_code(ref.name)
    from transformers import AutoConfig, AutoModelForCausalLM, AutoProcessor

    from pytest_mieb.models.hf_loading import (
        checkpoint_identity,
        load_weights,
        prepare_for_inference,
        translated_errors,
    )
    from pytest_mieb.models.id_forms import parse_model_id
    from pytest_mieb.models.mllm.loading import load_processor
    from pytest_mieb.models.mllm.vlm2vec_v2 import adapter_dir, merged_model

    base_ref = parse_model_id(f"transformers:{BASE}")
    with translated_errors(base_ref):
        config = AutoConfig.from_pretrained(BASE, trust_remote_code=True)
    config.use_cache = False
    config.padding_side = "right"
    directory = adapter_dir(ref)
    is_adapter = os.path.isfile(os.path.join(directory, "adapter_config.json"))
    weights_ref = base_ref if is_adapter else ref
    model_class = _with_config(AutoModelForCausalLM, config, attention(device))
    model = load_weights(model_class, weights_ref, dtype, True)
    if is_adapter:
        model = merged_model(model, directory, ref.name)
    processor = load_processor(base_ref, AutoProcessor, True, num_crops=NUM_CROPS)
    from pytest_mieb.models.fingerprints import pick_revision

    revision = pick_revision(ref.revision if not ref.local else None, directory)
    identity = {
        **checkpoint_identity("mllm", ref, revision, "Phi3VForCausalLM", dtype),
        "base": BASE,
        "num_crops": NUM_CROPS,
        "max_length": MAX_LENGTH,
    }
    return Vlm2VecV1Encoder(
        name=ref.name,
        revision=revision,
        model=prepare_for_inference(model.to(dtype), device),
        processor=processor,
        device=device,
        identity=identity,
    )


def _with_config(auto_class: Any, config: Any, attn: str) -> Any:
    """`auto_class` whose ``from_pretrained`` also gets the base's config and the attention."""

    class WithConfig:
        @staticmethod
        def from_pretrained(*args: Any, **kwargs: Any) -> Any:
            return auto_class.from_pretrained(
                *args, config=config, attn_implementation=attn, **kwargs
            )

    return WithConfig
