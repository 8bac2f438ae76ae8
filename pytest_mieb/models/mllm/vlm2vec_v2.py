"""VLM2Vec-V2.0 (Qwen2-VL-2B-Instruct + a LoRA/DoRA adapter): mteb 2.26's `VLM2VEC2Wrapper`.

* the model repo is a peft adapter; its base (``base_model_name_or_path``:
  ``Qwen/Qwen2-VL-2B-Instruct``, default branch, as mteb hard-codes it) is loaded in the run's
  dtype (the family's precision: bf16), the adapter merged into it;
* one prompt per input, no chat template: ``f"{prefix} {instruction} {text}".strip()`` (or
  without the text when it is empty), prefix ``<|image_pad|>`` when the input has an image;
  the instruction from `instructions.vlm2vec_v2` (only the Vidore / VisRAG tasks have one);
* images to RGB with alpha dropped (as transformers 4.x's Qwen2-VL processor converts them;
  transformers 5's composites onto white);
* the adapter repo's processor (its pixel limits), the tokenizer's own padding side (mteb sets
  ``padding_side`` on the processor object, which changes nothing), no truncation;
* the full model forward on plain sequential positions (`sequential_positions`: the prompts
  have no ``<|vision_start|>``, so transformers 4.x's rope index, which mteb's pinned
  transformers and VLM2Vec's training used, treats image tokens as text); the last layer's
  hidden state of the last real token, L2-normalised.

The adapter was saved from transformers 4.x module names (``model.layers.N``); transformers 5
nests the text layers under ``model.language_model`` and peft does not rename them, so mteb on
transformers 5 silently runs the bare base. Here the names are mapped onto the model's, and an
adapter weight that still matches nothing is an error.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import Any

from pytest_mieb import hub
from pytest_mieb.data.images import to_rgb
from pytest_mieb.models.errors import ModelLoadError, not_available_offline
from pytest_mieb.models.mllm import instructions
from pytest_mieb.models.mllm.base import MllmEncoder, l2_normalised, last_token

IMAGE_TOKEN = "<|image_pad|>"
#: transformers 4.x Qwen2-VL module prefixes -> transformers 5's.
RENAMES = (
    ("base_model.model.model.", "base_model.model.model.language_model."),
    ("base_model.model.visual.", "base_model.model.model.visual."),
)


def prompt(instruction: str, has_image: bool, text: str | None) -> str:
    prefix = IMAGE_TOKEN if has_image else ""
    return f"{prefix} {instruction} {text}".strip() if text else f"{prefix} {instruction}".strip()


class Vlm2VecV2Encoder(MllmEncoder):
    family = "vlm2vec_v2"

    instruction = staticmethod(instructions.vlm2vec_v2)
    prompt = staticmethod(prompt)

    def _embed(self, images: list[Any] | None, texts: list[str] | None, context: Any) -> Any:
        import torch

        inputs = self.processor(
            text=self.prompts(images, texts, context),
            images=[to_rgb(image) for image in images] if images is not None else None,
            padding=True,
            return_tensors="pt",
        )
        inputs = self._to_device(inputs)
        inputs.pop("mm_token_type_ids", None)
        with torch.inference_mode():
            out = self.model(
                **inputs,
                position_ids=sequential_positions(inputs["attention_mask"]),
                output_hidden_states=True,
                return_dict=True,
                logits_to_keep=1,
            )
        pooled = last_token(out.hidden_states[-1], inputs["attention_mask"])
        return l2_normalised(pooled).cpu().float()


def sequential_positions(mask: Any) -> Any:
    """Positions 0, 1, ... over each row's real tokens on all three M-RoPE axes (padding: 1).

    What transformers 4.x's Qwen2-VL rope index gives VLM2Vec's prompts: it places images by
    the ``<|vision_start|>`` token before them, which these prompts do not have, so image
    tokens count on like text (VLM2Vec was trained so). transformers 5 finds image tokens by
    their type and would give them 2-D positions."""
    positions = mask.long().cumsum(-1) - 1
    positions = positions.masked_fill(mask == 0, 1)
    return positions.unsqueeze(0).expand(3, -1, -1)


def adapter_dir(ref: Any) -> str:
    """The local directory holding the adapter repo's files."""
    if ref.local:
        return os.path.abspath(ref.target)
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(
            ref.target, revision=ref.revision, local_files_only=hub.decide().local_only
        )
    except Exception as exc:  # unreachable, unknown revision, not in the cache
        raise not_available_offline(ref.target, ref.revision, str(exc)) from exc


def renamed(state: dict[str, Any], names: set[str]) -> dict[str, Any]:
    """Adapter weight names mapped onto the model's (`RENAMES` where the name is not there)."""
    out = {}
    for key, value in state.items():
        for old, new in RENAMES:
            moved = key.replace(old, new, 1)
            if not _known(key, names) and key.startswith(old) and _known(moved, names):
                key = moved
                break
        out[key] = value
    return out


def _known(key: str, names: set[str]) -> bool:
    """Whether adapter weight `key` has a home in the peft model (whose names carry the
    adapter's name: ``lora_A.default.weight``, ``lora_magnitude_vector.default.weight``)."""
    stem = key.removesuffix(".weight")
    return any(name.startswith(stem + ".") for name in names)


def merged_model(base: Any, directory: str, name: str) -> Any:
    """`base` with the adapter in `directory` applied and merged; every adapter weight must
    land on a module of the base."""
    from peft import PeftConfig, get_peft_model, set_peft_model_state_dict
    from safetensors.torch import load_file

    config = PeftConfig.from_pretrained(directory)
    config.inference_mode = True
    model = get_peft_model(base, config)
    names = set(model.state_dict())
    state = renamed(load_file(os.path.join(directory, "adapter_model.safetensors")), names)
    unplaced = sorted(key for key in state if not _known(key, names))
    if unplaced:
        raise ModelLoadError(
            f"the adapter of {name!r} does not fit its base: {len(unplaced)} weights match no "
            f"module (e.g. {unplaced[0]})"
        )
    result = set_peft_model_state_dict(model, state)
    if getattr(result, "unexpected_keys", None):
        raise ModelLoadError(
            f"the adapter of {name!r} was not applied: {result.unexpected_keys[:3]}"
        )
    return model.merge_and_unload()


def load(ref: Any, *, device: str, dtype: Any, trust_remote_code: bool) -> Vlm2VecV2Encoder:
    from transformers import AutoProcessor, Qwen2VLForConditionalGeneration

    from pytest_mieb.models.fingerprints import pick_revision
    from pytest_mieb.models.hf_loading import (
        checkpoint_identity,
        load_weights,
        prepare_for_inference,
    )
    from pytest_mieb.models.id_forms import parse_model_id
    from pytest_mieb.models.mllm.loading import load_processor

    directory = adapter_dir(ref)
    with open(os.path.join(directory, "adapter_config.json"), encoding="utf-8") as fh:
        base_id = json.load(fh)["base_model_name_or_path"]
    base_ref = parse_model_id(f"transformers:{base_id}")
    base = load_weights(Qwen2VLForConditionalGeneration, base_ref, dtype, trust_remote_code)
    model = prepare_for_inference(merged_model(base, directory, ref.name), device)
    # from the snapshot's files (an adapter repo holds no config.json to resolve others from)
    processor = load_processor(replace(ref, target=directory, local=True), AutoProcessor, False)
    revision = pick_revision(ref.revision if not ref.local else None, directory)
    identity = {
        **checkpoint_identity("mllm", ref, revision, "Qwen2VLForConditionalGeneration", dtype),
        "base": base_id,
        "processor": processor.image_processor.to_dict(),
        "padding_side": processor.tokenizer.padding_side,
    }
    return Vlm2VecV2Encoder(
        name=ref.name,
        revision=revision,
        model=model,
        processor=processor,
        device=device,
        identity=identity,
    )
