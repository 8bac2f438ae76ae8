"""sentence-transformers models: repos with ``modules.json`` and ``sentence-transformers:`` ids.

The model is loaded with ``SentenceTransformer`` (remote code only with
``--mieb-trust-remote-code``) and called per request as its recipe says
(`pytest_mieb.models.st_recipes`): which method (``encode`` / ``encode_query`` /
``encode_document``), which ``prompt=`` for the task and side, how inputs are shaped (texts
as strings, image and image+text rows as one dict per sample, as sentence-transformers takes
them) and the text truncation of the published omni models. Every encode method takes the
request's ``context`` (an `EncodeContext`; None when no task is known: plain ``encode``
without prompt), and `context_key` tells the embedder's cache what of it changed the call.

The encoder takes the modalities the model supports: text and image when it has them, and
image+text together only where sentence-transformers can combine them in one input (chat
models, the "message" modality). Embeddings are what the model's own modules make (pooling,
normalisation); similarity is the model's ``similarity_fn_name`` (cosine or dot).

Adapter-only repositories (``adapter_config.json``, no ``config.json``: OmniEmbed) are loaded
onto their base as sentence-transformers applies a peft adapter, with the base pinned at the
recipe's revision: the adapter's files are linked into a temporary directory whose
``adapter_config.json`` names the local base snapshot.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pytest_mieb import hub
from pytest_mieb.models.errors import (
    ModelLoadError,
    needs_remote_code,
    not_available_offline,
    short,
)
from pytest_mieb.models.fingerprints import content_identity, fingerprint, pick_revision
from pytest_mieb.models.id_forms import ModelRef
from pytest_mieb.models.st_recipes import (
    TEXT_ONLY_TRUNCATION,
    Recipe,
    plan_call,
    recipe_for,
    rows,
)
from pytest_mieb.runtime import dtype_name

SIMILARITIES = ("cosine", "dot")


class SentenceTransformerEncoder:
    """A loaded ``SentenceTransformer`` behind the `Encoder` protocol, called per recipe."""

    #: sentence-transformers preprocesses images itself: the embedder hands RGB PIL images
    #: to `encode_images` instead of pixels to `encode_pixels`.
    image_transform = None

    def __init__(
        self,
        *,
        name: str,
        revision: str,
        model: Any,
        recipe: Recipe,
        device: str,
        identity: dict[str, Any],
        keep_alive: Any = None,
    ) -> None:
        self.name = name
        self.revision = revision
        self.model = model
        self.recipe = recipe
        self.device = device
        self.prompts: dict[str, Any] = dict(getattr(model, "prompts", None) or {})
        self._keep_alive = keep_alive  # a temporary directory the model's files live in
        similarity = getattr(model, "similarity_fn_name", None) or "cosine"
        if similarity not in SIMILARITIES:
            raise ModelLoadError(
                f"{name!r} compares embeddings by {similarity!r}; pytest-mieb scores with "
                "cosine or dot similarity only"
            )
        self.similarity = similarity
        supported = set(getattr(model, "modalities", None) or ["text"])
        kinds = {kind for kind in ("text", "image") if kind in supported}
        supports = getattr(model, "supports", None)  # sentence-transformers >= 6
        if supports is not None and supports(("image", "text")):
            kinds.add("image+text")
        self.modalities: frozenset[str] = frozenset(kinds)
        identity = {**identity, "recipe": recipe.name, "prompts": self.prompts}
        self._fingerprint = fingerprint(identity)
        self.embed_dim = self._measure_embed_dim()
        self._processing = getattr(model[0], "processing_kwargs", None)

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def context_key(self, context: Any) -> str:
        """What of the context changes this model's output: the call it plans."""
        call = plan_call(self.recipe, self.prompts, context)
        return json.dumps([call.function, call.prompt, list(call.extra)])

    def encode_texts(
        self, texts: Sequence[str], *, context: Any = None, prompt_type: str | None = None
    ) -> Any:
        return self._encode(None, list(texts), _described(context, prompt_type))

    def encode_images(
        self, images: Sequence[Any], *, context: Any = None, prompt_type: str | None = None
    ) -> Any:
        return self._encode(list(images), None, _described(context, prompt_type))

    def encode_fused(
        self,
        images: Sequence[Any],
        texts: Sequence[str],
        *,
        context: Any = None,
        prompt_type: str | None = None,
    ) -> Any:
        if len(images) != len(texts):
            raise ValueError(
                f"fused inputs need as many texts as images: {len(images)} != {len(texts)}"
            )
        return self._encode(list(images), list(texts), _described(context, prompt_type))

    def _encode(self, images: list[Any] | None, texts: list[str] | None, context: Any) -> Any:
        import torch

        call = plan_call(self.recipe, self.prompts, context)
        self._set_lengths(text_only=images is None)
        inputs = rows(self.recipe, images, texts)
        # encode_query / encode_document exist from sentence-transformers 5 on (else encode)
        method = getattr(self.model, call.function, None) or self.model.encode
        with torch.inference_mode():
            out = method(
                inputs,
                prompt=call.prompt,
                batch_size=max(1, len(inputs)),
                show_progress_bar=False,
                convert_to_tensor=True,
                **dict(call.extra),
            )
        return out.detach().float().cpu()

    def _set_lengths(self, *, text_only: bool) -> None:
        """The recipe's text truncation and sequence length for this kind of call."""
        recipe = self.recipe
        if recipe.text_only_truncation and self._processing is not None:
            self._processing["text"] = dict(TEXT_ONLY_TRUNCATION) if text_only else {}
        if recipe.max_seq_length is not None:
            self.model.max_seq_length = recipe.max_seq_length[0 if text_only else 1]

    def _measure_embed_dim(self) -> int:
        getter = getattr(self.model, "get_embedding_dimension", None) or getattr(
            self.model, "get_sentence_embedding_dimension", None
        )
        dim = getter() if getter is not None else None
        if dim:
            return int(dim)
        if "text" in self.modalities:
            return int(self.encode_texts(["a"]).shape[1])
        from PIL import Image

        return int(self.encode_images([Image.new("RGB", (32, 32))]).shape[1])


def _described(context: Any, prompt_type: str | None) -> Any:
    """The request's context; from an embedder that knows only the side (``prompt_type``),
    a context that names the side and no task."""
    if context is not None or prompt_type is None:
        return context
    return SimpleNamespace(task="", task_type="", side=prompt_type)


def load_sentence_transformer(
    ref: ModelRef, *, device: str, dtype: Any, trust_remote_code: bool
) -> SentenceTransformerEncoder:
    """Load a sentence-transformers model (hub id or directory) with its recipe."""
    from sentence_transformers import SentenceTransformer

    recipe = recipe_for(ref.target if not ref.local else "")
    source, revision = _source(ref)
    keep_alive = None
    if _is_adapter_only(source):
        keep_alive = _with_pinned_base(source, recipe)
        source = keep_alive.name
    dtype_kwarg = _dtype_kwarg(recipe, dtype)
    try:
        model = SentenceTransformer(
            source,
            device=device,
            trust_remote_code=trust_remote_code,
            model_kwargs=dtype_kwarg or None,
            local_files_only=True,
        )
    except (ValueError, OSError) as exc:
        if "trust_remote_code" in str(exc):
            raise needs_remote_code(ref.name) from exc
        raise ModelLoadError(
            f"sentence-transformers cannot load {ref.name!r}: {short(exc)}"
        ) from exc
    model.eval()
    if recipe.image_pixels is not None:
        from pytest_mieb.models.mllm.pixels import set_pixel_limits

        set_pixel_limits(model[0].processor.image_processor, *recipe.image_pixels)
    if recipe.text_only_truncation and hasattr(model[0], "processing_kwargs"):
        model[0].processing_kwargs.update(
            {"video": {"min_pixels": 32 * 14 * 14, "max_pixels": 64 * 28 * 28,
                       "do_sample_frames": False}}
        )  # fmt: skip
    identity = {
        "adapter": "sentence-transformers",
        "id": ref.name if not ref.local else "local",
        "revision": revision,
        "weights": content_identity(ref.target, revision) if ref.local else f"commit:{revision}",
        "base_revision": recipe.base_revision if keep_alive is not None else None,
        "dtype": dtype_name(dtype_kwarg.get("dtype", dtype)) if dtype_kwarg else "checkpoint",
    }
    return SentenceTransformerEncoder(
        name=ref.name,
        revision=revision,
        model=model,
        recipe=recipe,
        device=device,
        identity=identity,
        keep_alive=keep_alive,
    )


def _source(ref: ModelRef) -> tuple[str, str]:
    """A local directory holding the model's files, and the revision they are."""
    if ref.local:
        path = os.path.abspath(ref.target)
        return path, pick_revision(None, path)
    path = _snapshot(ref.target, ref.revision, ref.name)
    return path, pick_revision(ref.revision, path)


def _snapshot(repo: str, revision: str | None, name: str) -> str:
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(repo, revision=revision, local_files_only=hub.decide().local_only)
    except Exception as exc:  # unreachable, unknown revision, not in the cache
        raise not_available_offline(name, revision, str(exc)) from exc


def _is_adapter_only(path: str) -> bool:
    root = Path(path)
    return (root / "adapter_config.json").is_file() and not (root / "config.json").is_file()


def _with_pinned_base(adapter: str, recipe: Recipe) -> Any:
    """A temporary directory with the adapter's files and an ``adapter_config.json`` that
    names the base's local files (pinned at the recipe's base revision for a hub base)."""
    config = json.loads((Path(adapter) / "adapter_config.json").read_text(encoding="utf-8"))
    base = str(config.get("base_model_name_or_path") or "")
    if not os.path.isdir(base):
        base = _snapshot(base, recipe.base_revision, base)
    tmp = tempfile.TemporaryDirectory(prefix="mieb-adapter-")
    for item in Path(adapter).iterdir():
        if item.name != "adapter_config.json":
            os.symlink(item.resolve(), Path(tmp.name) / item.name)
    config["base_model_name_or_path"] = base
    (Path(tmp.name) / "adapter_config.json").write_text(json.dumps(config), encoding="utf-8")
    return tmp


def _dtype_kwarg(recipe: Recipe, dtype: Any) -> dict[str, Any]:
    """The recipe's dtype (OmniEmbed: bf16), an asked-for low precision, else the checkpoint's
    own (transformers' "auto", as MIEB's reference loads these models)."""
    import torch

    if recipe.dtype is not None and dtype == torch.float32:
        return {"dtype": getattr(torch, recipe.dtype)}
    if dtype != torch.float32:
        return {"dtype": dtype}
    return {}
