"""nomic-embed-vision v1.5: a vision tower and a text tower from two repositories, both remote
code, embedded as mteb's ``NomicVisionModel`` (``nomic_models_vision.py``) does.

* Vision: the published repo (``nomic-ai/nomic-embed-vision-v1.5`` at its pinned revision):
  its image processor (PIL class, as the published transformers-4 run), ``AutoModel`` with
  ``trust_remote_code``; the embedding is ``last_hidden_state[:, 0]`` L2-normalised.
* Text: the repo and revision the published row's params name (mteb hard-codes
  ``nomic-ai/nomic-embed-text-v1.5`` at ``a03db674...``): ``AutoModel`` (remote code) and its
  tokenizer; ``padding=True, truncation=True``, **no** ``search_query:`` / ``search_document:``
  prefix (mteb adds none), mean pooling over the attention mask, ``layer_norm`` without affine
  over the feature axis, L2-normalised.
* Image+text: the sum of the two normalised vectors. fp32.

Both models run code from their repositories (and the Hub repo that code points at, with no
revision pin), so nothing loads without ``--mieb-trust-remote-code``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_mieb.models.errors import ModelLoadError, needs_remote_code
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
from pytest_mieb.models.loaded import LoadedEncoder
from pytest_mieb.models.model_table import published_model
from pytest_mieb.models.towers import DualTowerEncoder


class NomicVisionEncoder(LoadedEncoder, DualTowerEncoder):
    """The two nomic towers behind the `Encoder` protocol (see the module docstring)."""

    _image_transform: HFImageTransform

    def __init__(
        self,
        *,
        name: str,
        revision: str,
        vision_model: Any,
        text_model: Any,
        tokenizer: Any,
        image_transform: HFImageTransform,
        device: str,
        identity: dict[str, Any],
    ) -> None:
        self._hold(
            name=name,
            revision=revision,
            model=vision_model,
            device=device,
            image_transform=image_transform,
            identity=identity,
        )
        self.text_model = text_model
        self.tokenizer = tokenizer
        self._measure_embed_dim()

    def encode_pixels(self, pixels: Any) -> Any:
        import torch
        import torch.nn.functional as F

        pixels = self._image_transform.to_model_pixels(pixels.to(self.device)).to(self.dtype)
        with torch.inference_mode():
            states = self.model(pixel_values=pixels).last_hidden_state
        return F.normalize(states[:, 0].float(), p=2, dim=1)

    def encode_texts(self, texts: Sequence[str]) -> Any:
        import torch
        import torch.nn.functional as F

        tokens = self.tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt")
        tokens = {key: value.to(self.device) for key, value in tokens.items()}
        with torch.inference_mode():
            states = self.text_model(**tokens)[0].float()
        mask = tokens["attention_mask"].unsqueeze(-1).expand(states.shape).float()
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        pooled = F.layer_norm(pooled, normalized_shape=(pooled.shape[1],))
        return F.normalize(pooled, p=2, dim=1)


def load_nomic_vision(
    ref: ModelRef, *, device: str, dtype: Any, trust_remote_code: bool
) -> NomicVisionEncoder:
    from transformers import AutoImageProcessor, AutoModel, AutoTokenizer

    if not trust_remote_code:
        raise needs_remote_code(ref.name)
    row = published_model(ref.target)
    params = row.params if row is not None else {}
    if "text_repo" not in params:
        raise ModelLoadError(
            f"{ref.name!r} is not a published nomic-embed-vision id "
            "(nomic-ai/nomic-embed-vision-v1.5)"
        )
    text = ModelRef("transformers", params["text_repo"], params["text_repo"],
                    params.get("text_revision"))  # fmt: skip
    vision_model = load_weights(AutoModel, ref, dtype, True)
    text_model = load_weights(AutoModel, text, dtype, True)
    with translated_errors(ref):
        image_processor = AutoImageProcessor.from_pretrained(
            ref.target, **source_kwargs(ref, False), **pil_backend_kwarg()
        )
    with translated_errors(text):
        tokenizer = AutoTokenizer.from_pretrained(text.target, **source_kwargs(text, True))
    revision = revision_of(ref, vision_model.config)
    text_revision = revision_of(text, text_model.config)
    identity = {
        **checkpoint_identity("nomic-vision", ref, revision, "remote code", dtype),
        "text": checkpoint_identity("nomic-text", text, text_revision, "remote code", dtype),
        "image_processor": image_processor.to_dict(),
        "tokenizer": [type(tokenizer).__name__, getattr(tokenizer, "model_max_length", None)],
        "recipe": "cls+l2 / mean+layer_norm+l2, no prefixes, fused sum",
    }
    transform = HFImageTransform(image_processor, None, fast_pixel_recipe(image_processor))
    return NomicVisionEncoder(
        name=ref.name,
        revision=revision,
        vision_model=prepare_for_inference(vision_model, device),
        text_model=prepare_for_inference(text_model, device),
        tokenizer=tokenizer,
        image_transform=transform,
        device=device,
        identity=identity,
    )
