"""DINOv2 and DINOv3 (transformers, image only): the CLS token of the last hidden state.

As MIEB's reference wrapper embeds them: ``AutoModel`` in the checkpoint's precision (fp32),
the repository's image processor on each image (converted to RGB first), and the embedding
``last_hidden_state[:, 0]``: the CLS token after the final LayerNorm (DINOv3's register tokens
follow it and are ignored), not normalised. DINOv2 uses the PIL ("slow") image processor
(``BitImageProcessorPil``: resize the shortest edge bicubic, centre crop, ImageNet mean/std),
as the published scores did, through the same fast split as the two-tower adapter when it
agrees with the processor; transformers has only a torchvision processor for DINOv3, which is
used as it is.
"""

from __future__ import annotations

from typing import Any

from pytest_mieb.models.errors import ModelLoadError
from pytest_mieb.models.hf_dual import HFImageTransform, fast_pixel_recipe
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
from pytest_mieb.models.image_only import ImageOnlyEncoder

#: transformers model types embedded by their CLS token here.
CLS_MODEL_TYPES = ("dinov2", "dinov2_with_registers", "dinov3_vit")


class ClsTokenEncoder(ImageOnlyEncoder):
    """A transformers vision backbone whose embedding is the CLS token after the final norm."""

    _image_transform: HFImageTransform

    def __init__(
        self,
        *,
        name: str,
        revision: str,
        model: Any,
        image_transform: HFImageTransform,
        device: str,
        embed_dim: int,
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
        self.embed_dim = embed_dim

    def encode_pixels(self, pixels: Any) -> Any:
        import torch

        values = self._image_transform.to_model_pixels(pixels.to(self.device))
        with torch.inference_mode():
            states = self.model(pixel_values=values.to(self.dtype)).last_hidden_state
        return states[:, 0].float()


def load_cls_vision(
    ref: ModelRef, *, device: str, dtype: Any, trust_remote_code: bool
) -> ClsTokenEncoder:
    """Load a DINOv2 / DINOv3 checkpoint (hub id or directory) as an image-only encoder."""
    from transformers import AutoImageProcessor, AutoModel

    config = load_config(ref, trust_remote_code)
    model_type = str(getattr(config, "model_type", ""))
    if model_type not in CLS_MODEL_TYPES:
        raise ModelLoadError(
            f"{ref.name!r} is a {model_type or 'unknown'} model, not a DINOv2 / DINOv3 vision "
            f"backbone ({', '.join(CLS_MODEL_TYPES)})"
        )
    model = load_weights(AutoModel, ref, dtype, trust_remote_code)
    with translated_errors(ref):
        # transformers falls back to the torchvision class where there is no PIL one (DINOv3)
        image_processor = AutoImageProcessor.from_pretrained(
            ref.target, **source_kwargs(ref, trust_remote_code), **pil_backend_kwarg()
        )
    transform = HFImageTransform(image_processor, None, fast_pixel_recipe(image_processor))
    architecture = (getattr(config, "architectures", None) or [type(model).__name__])[0]
    revision = revision_of(ref, config)
    identity = {
        **checkpoint_identity("cls-vision", ref, revision, architecture, dtype),
        "pooling": "cls",
        "image_processor": {"class": type(image_processor).__name__, **image_processor.to_dict()},
    }
    return ClsTokenEncoder(
        name=ref.name,
        revision=revision,
        model=prepare_for_inference(model, device),
        image_transform=transform,
        device=device,
        embed_dim=int(config.hidden_size),
        identity=identity,
    )
