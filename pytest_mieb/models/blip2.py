"""BLIP-2 as MIEB's reference embeds it: the stage-1 Q-Former features of LAVIS's `Blip2ITM`.

mteb's ``blip2_models`` names ``Salesforce/blip2-opt-2.7b`` / ``-6.7b-coco`` but loads LAVIS's
image-text-matching model ("pretrain" / "coco": EVA ViT-g + Q-Former, not the OPT repos'
weights, whose Q-Former has no text path); the HF repo serves only its image processor. The
same LAVIS weights are in transformers' format in ``Salesforce/blip2-itm-vit-g`` / ``-coco``
(`Blip2ForImageTextRetrieval`, converted from those LAVIS files), which the published row's
params name (``weights_repo``). Features, as LAVIS's ``Blip2Qformer`` methods compute them:

* text (``forward_text``): BERT uncased tokens (``[DEC]`` bos), max 32, padded to 32,
  truncated on the right; Q-Former text-only pass; the [CLS] state (no projection, no norm);
* image (``forward_image``): the opt repo's image processor; ViT then ``ln_vision``; the
  query tokens cross-attend; the first query token's state (no projection, no norm);
* image+text (``extract_features``, mode multimodal): the ViT under fp16 autocast on CUDA
  (LAVIS's ``maybe_autocast``), then queries and text (tokens padded to the longest, not
  truncated) through the Q-Former together; the first query token's state.

The "pretrain" model's ViT was built in fp16 by LAVIS (``vit_precision: fp16``: its Linear
and Conv2d weights rounded to fp16) and cast back to fp32 by mteb; ``vit_fp16_rounded``
reproduces that rounding (a no-op if the converted weights already carry it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from pytest_mieb.models.errors import ModelLoadError
from pytest_mieb.models.fingerprints import pick_revision
from pytest_mieb.models.hf_dual import HFImageTransform, fast_pixel_recipe
from pytest_mieb.models.hf_loading import (
    checkpoint_identity,
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
from pytest_mieb.models.model_table import published_model

#: LAVIS ``Blip2Qformer.max_txt_len`` (the text path pads and truncates to it).
MAX_TEXT_TOKENS = 32


class Blip2QFormerEncoder(LoadedEncoder):
    """Q-Former features of a `Blip2ForImageTextRetrieval` model (see the module docstring)."""

    _image_transform: HFImageTransform

    def __init__(
        self,
        *,
        name: str,
        revision: str,
        model: Any,
        tokenizer: Any,
        image_transform: HFImageTransform,
        device: str,
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
        self.tokenizer = tokenizer
        self._measure_embed_dim()

    def _pixels(self, pixels: Any) -> Any:
        pixels = self._image_transform.to_model_pixels(pixels.to(self.device))
        return pixels.to(self.dtype)

    def _queries(self, image_states: Any, input_ids: Any = None, mask: Any = None) -> Any:
        """The Q-Former pass with the query tokens (and text, when given) over the image."""
        import torch

        queries = self.model.query_tokens.expand(image_states.shape[0], -1, -1)
        image_mask = torch.ones(image_states.shape[:-1], dtype=torch.long, device=self.device)
        if input_ids is not None:
            query_mask = torch.ones(queries.shape[:-1], dtype=torch.long, device=self.device)
            mask = torch.cat([query_mask, mask], dim=1)
        return self.model.qformer(
            query_embeds=self.model.embeddings(input_ids=input_ids, query_embeds=queries),
            query_length=queries.shape[1],
            attention_mask=mask,
            encoder_hidden_states=image_states,
            encoder_attention_mask=image_mask,
        )[0]

    def encode_pixels(self, pixels: Any) -> Any:
        import torch

        with torch.inference_mode():
            states = self.model.vision_model(pixel_values=self._pixels(pixels))[0]
            return self._queries(states)[:, 0, :].float()

    def encode_images(self, images: Sequence[Any]) -> Any:
        return self.encode_pixels(pixel_batch(self.image_transform, images))

    def encode_texts(self, texts: Sequence[str]) -> Any:
        import torch

        tokens = self.tokenizer(list(texts), padding="max_length", truncation=True,
                                max_length=MAX_TEXT_TOKENS, return_tensors="pt")  # fmt: skip
        with torch.inference_mode():
            embeds = self.model.embeddings(input_ids=tokens["input_ids"].to(self.device))
            states = self.model.qformer(
                query_embeds=embeds,
                query_length=0,
                attention_mask=tokens["attention_mask"].to(self.device),
            )[0]
        return states[:, 0, :].float()

    def encode_fused(self, images: Sequence[Any], texts: Sequence[str]) -> Any:
        import torch

        if len(images) != len(texts):
            raise ValueError(
                f"fused inputs need as many texts as images: {len(images)} != {len(texts)}"
            )
        pixels = self._pixels(pixel_batch(self.image_transform, images))
        tokens = self.tokenizer(list(texts), padding=True, return_tensors="pt")
        on_cuda = str(self.device).startswith("cuda")
        autocast = (torch.autocast("cuda", dtype=torch.float16) if on_cuda
                    else contextlib.nullcontext())  # fmt: skip
        with torch.inference_mode():
            with autocast:
                states = self.model.vision_model(pixel_values=pixels)[0]
            states = states.to(self.dtype)
            out = self._queries(
                states,
                tokens["input_ids"].to(self.device),
                tokens["attention_mask"].to(self.device),
            )
        return out[:, 0, :].float()


def load_blip2(ref: ModelRef, *, device: str, dtype: Any) -> Blip2QFormerEncoder:
    import transformers
    from transformers import AutoImageProcessor, AutoTokenizer

    row = published_model(ref.target)
    params = row.params if row is not None else {}
    if "weights_repo" not in params:
        raise ModelLoadError(
            f"{ref.name!r} is not a published BLIP-2 id (Salesforce/blip2-opt-2.7b, "
            "Salesforce/blip2-opt-6.7b-coco)"
        )
    weights = ModelRef("transformers", params["weights_repo"], params["weights_repo"],
                       params.get("weights_revision"))  # fmt: skip
    model = load_weights(transformers.Blip2ForImageTextRetrieval, weights, dtype, False)
    if params.get("vit_fp16_rounded"):
        round_vit_to_fp16(model.vision_model)
    with translated_errors(weights):
        tokenizer = AutoTokenizer.from_pretrained(
            weights.target, truncation_side="right", **source_kwargs(weights, False)
        )
    with translated_errors(ref):
        image_processor = AutoImageProcessor.from_pretrained(
            ref.target, **source_kwargs(ref, False), **pil_backend_kwarg()
        )
    transform = HFImageTransform(image_processor, None, fast_pixel_recipe(image_processor))
    revision = _served_revision(ref, "preprocessor_config.json")
    weights_revision = revision_of(weights, model.config)
    identity = {
        **checkpoint_identity("blip2-qformer", weights, weights_revision, "Blip2ITM", dtype),
        "image_processor": [ref.name, revision, image_processor.to_dict()],
        "vit_fp16_rounded": bool(params.get("vit_fp16_rounded")),
        "text": {"max_length": MAX_TEXT_TOKENS, "tokenizer": type(tokenizer).__name__},
    }
    return Blip2QFormerEncoder(
        name=ref.name,
        revision=revision,
        model=prepare_for_inference(model, device),
        tokenizer=tokenizer,
        image_transform=transform,
        device=device,
        identity=identity,
    )


def round_vit_to_fp16(vision_model: Any) -> None:
    """Round the Linear / Conv2d weights and biases to fp16 and back, as LAVIS's
    ``convert_weights_to_fp16`` followed by mteb's ``.float()`` leaves them (norms,
    embeddings and the separate q/v biases stay untouched, as there)."""
    import torch

    with torch.no_grad():
        for module in vision_model.modules():
            if isinstance(module, torch.nn.Linear | torch.nn.Conv1d | torch.nn.Conv2d):
                for param in (module.weight, module.bias):
                    if param is not None:
                        param.copy_(param.to(torch.float16).to(param.dtype))


def _served_revision(ref: ModelRef, filename: str) -> str:
    """The commit the cache holds `filename` of `ref` at, else the pinned revision."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(ref.target, filename, revision=ref.revision)
    return pick_revision(ref.revision, found if isinstance(found, str) else None)
