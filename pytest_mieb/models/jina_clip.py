"""jina-clip (v1 published, v2): the repository's own code does everything, as in mteb's
``JinaCLIPModel`` (``jina_clip.py``).

``AutoModel.from_pretrained(id, revision, trust_remote_code=True)`` with no dtype (the remote
``from_pretrained`` then picks its default, ``torch_dtype="auto"``) unless another precision
is asked for; texts go to ``model.encode_text(texts, convert_to_numpy=False,
convert_to_tensor=True)`` and images (PIL, as the embedder hands them) to
``model.encode_image(...)`` with the code's own defaults (no task prefix, normalised,
tokenizer and image transform of the repository); outputs cast to fp32; image+text = the sum
of the two. Nothing loads without ``--mieb-trust-remote-code``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_mieb.models.errors import ModelLoadError, needs_remote_code, weights_not_loaded
from pytest_mieb.models.hf_loading import (
    checkpoint_identity,
    dtype_kwarg,
    prepare_for_inference,
    revision_of,
    source_kwargs,
    translated_errors,
)
from pytest_mieb.models.id_forms import ModelRef
from pytest_mieb.models.loaded import LoadedEncoder
from pytest_mieb.runtime import dtype_name


class JinaClipEncoder(LoadedEncoder):
    """A jina-clip model's own ``encode_text`` / ``encode_image``; images arrive as PIL."""

    def __init__(self, *, name: str, revision: str, model: Any, device: str,
                 identity: dict[str, Any]) -> None:  # fmt: skip
        self._hold(
            name=name,
            revision=revision,
            model=model,
            device=device,
            image_transform=None,
            identity=identity,
        )
        self._measure_embed_dim()

    def encode_texts(self, texts: Sequence[str]) -> Any:
        import torch

        with torch.inference_mode():
            out = self.model.encode_text(
                list(texts), convert_to_numpy=False, convert_to_tensor=True
            )
        return out.cpu().to(torch.float32)

    def encode_images(self, images: Sequence[Any]) -> Any:
        import torch

        with torch.inference_mode():
            out = self.model.encode_image(
                list(images), convert_to_numpy=False, convert_to_tensor=True
            )
        return out.cpu().to(torch.float32)

    def encode_fused(self, images: Sequence[Any], texts: Sequence[str]) -> Any:
        if len(images) != len(texts):
            raise ValueError(
                f"fused inputs need as many texts as images: {len(images)} != {len(texts)}"
            )
        return self.encode_texts(texts) + self.encode_images(images)


def load_jina_clip(
    ref: ModelRef, *, device: str, dtype: Any, trust_remote_code: bool
) -> JinaClipEncoder:
    from transformers import AutoConfig, AutoModel

    if not trust_remote_code:
        raise needs_remote_code(ref.name)
    precision = {} if dtype_name(dtype) == "float32" else dtype_kwarg(dtype)
    with translated_errors(ref):
        config = AutoConfig.from_pretrained(ref.target, **source_kwargs(ref, True))
        loaded = AutoModel.from_pretrained(
            ref.target, output_loading_info=True, **precision, **source_kwargs(ref, True)
        )
    model, info = loaded if isinstance(loaded, tuple) else (loaded, {})
    missing = set(info.get("missing_keys") or ())
    if missing:
        raise weights_not_loaded(ref.name, missing)
    if not (hasattr(model, "encode_text") and hasattr(model, "encode_image")):
        raise ModelLoadError(
            f"{ref.name!r} ({type(model).__name__}) has no encode_text / encode_image: it is "
            "not a jina-clip model"
        )
    revision = revision_of(ref, config)
    identity = {
        **checkpoint_identity("jina-clip", ref, revision, type(model).__name__, dtype),
        "loaded_dtype": dtype_name(next(model.parameters()).dtype),
        "recipe": "remote encode_text / encode_image defaults, fused sum",
    }
    return JinaClipEncoder(
        name=ref.name,
        revision=revision,
        model=prepare_for_inference(model, device),
        device=device,
        identity=identity,
    )
