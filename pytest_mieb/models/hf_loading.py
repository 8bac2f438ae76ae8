"""Loading Hugging Face transformers checkpoints strictly, with errors that say what to do.

Shared by the dual-encoder adapter (`hf_dual`) and the MLLM adapter (`e5v`); `hub_file` also
fetches the single files of the EVA-CLIP and EBind adapters:

* hub ids are pinned with ``revision=``; when this run reads local caches only (the user
  said offline, or the Hub does not answer: `pytest_mieb.hub.decide`) only the local cache
  is used;
* an unreachable checkpoint (transformers raises OSError) becomes `ModelLoadError`
  naming the id, the revision and the remedy;
* remote code runs only with ``trust_remote_code=True``; when a repository needs it and
  the flag is off, the error says to pass ``--mieb-trust-remote-code``;
* a checkpoint that leaves some weights of the model randomly initialised (missing or
  size-mismatched keys, from ``output_loading_info=True``) is an error, not a warning.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from pytest_mieb import hub
from pytest_mieb.models.errors import (
    ModelLoadError,
    needs_remote_code,
    not_available_offline,
    short,
    weights_not_loaded,
)
from pytest_mieb.models.fingerprints import NO_REVISION, content_identity, pick_revision
from pytest_mieb.models.id_forms import ModelRef
from pytest_mieb.runtime import dtype_name

#: What transformers says when a reachable repository lacks a file it needs.
_NO_FILE = "does not appear to have a file named"


def source_kwargs(ref: ModelRef, trust_remote_code: bool) -> dict[str, Any]:
    """Keyword arguments every ``from_pretrained`` call of one model shares."""
    kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if not ref.local:
        kwargs["revision"] = ref.revision
        if hub.decide().local_only:
            kwargs["local_files_only"] = True
    return kwargs


@contextlib.contextmanager
def translated_errors(ref: ModelRef) -> Iterator[None]:
    """Turn what transformers raises while loading into one-line `ModelLoadError`s."""
    try:
        yield
    except ModelLoadError:
        raise
    except OSError as exc:
        if ref.local:
            raise ModelLoadError(
                f"cannot load the model in local directory {ref.target!r}: {short(exc)}; a "
                "transformers model directory needs config.json, its weights (model.safetensors "
                "or pytorch_model.bin) and its processor / tokenizer files"
            ) from exc
        if _NO_FILE in str(exc) and not hub.decide().local_only:
            raise ModelLoadError(
                f"{ref.target!r} at revision {ref.revision or 'default branch'} is reachable but "
                f"is not a transformers model ({short(exc)}); an open_clip repository loads with "
                f"hf-hub:{ref.target}"
            ) from exc
        raise not_available_offline(ref.target, ref.revision, str(exc)) from exc
    except (ValueError, KeyError) as exc:
        text = str(exc)
        if "trust_remote_code" in text:
            raise needs_remote_code(ref.name) from exc
        if "model type" in text or "Unrecognized" in text:
            raise ModelLoadError(
                f"transformers cannot build {ref.name!r}: {short(text)}; upgrade transformers, "
                "or pass --mieb-trust-remote-code if the repository ships its own model code"
            ) from exc
        raise ModelLoadError(f"cannot load {ref.name!r}: {short(text)}") from exc
    except RuntimeError as exc:
        if "size mismatch" in str(exc):
            raise ModelLoadError(
                f"checkpoint of {ref.name!r} does not fit its architecture: {short(exc)}"
            ) from exc
        raise


def hub_file(ref: ModelRef, repo: str, filename: str, revision: str | None) -> str:
    """One file of a hub repository at `revision` (local caches only when this run reads
    them only); any failure is one `ModelLoadError` line naming the model, repo and file."""
    from huggingface_hub import hf_hub_download

    try:
        return hf_hub_download(
            repo, filename, revision=revision, local_files_only=hub.decide().local_only
        )
    except Exception as exc:  # offline, unknown revision, missing file: one line either way
        raise not_available_offline(f"{ref.name} ({repo}/{filename})", revision, str(exc)) from exc


def load_config(ref: ModelRef, trust_remote_code: bool) -> Any:
    from transformers import AutoConfig

    with translated_errors(ref):
        return AutoConfig.from_pretrained(ref.target, **source_kwargs(ref, trust_remote_code))


def load_weights(model_class: Any, ref: ModelRef, dtype: Any, trust_remote_code: bool) -> Any:
    """``model_class.from_pretrained`` in `dtype`, refusing partially loaded checkpoints."""
    with translated_errors(ref):
        model, info = model_class.from_pretrained(
            ref.target,
            output_loading_info=True,
            **dtype_kwarg(dtype),
            **source_kwargs(ref, trust_remote_code),
        )
    missing = set(info.get("missing_keys") or ())
    missing |= {
        str(key[0] if isinstance(key, tuple) else key) for key in info.get("mismatched_keys") or ()
    }
    if missing:
        raise weights_not_loaded(ref.name, missing)
    return model


def prepare_for_inference(model: Any, device: str) -> Any:
    """Eval mode, no gradients, on `device`."""
    model.eval()
    model.requires_grad_(False)
    return model.to(device)


def dtype_kwarg(dtype: Any) -> dict[str, Any]:
    """transformers 5 calls it ``dtype`` (and defaults to the checkpoint's); 4.x ``torch_dtype``."""
    import transformers

    major = int(transformers.__version__.split(".")[0])
    return {"dtype": dtype} if major >= 5 else {"torch_dtype": dtype}


def pil_backend_kwarg() -> dict[str, Any]:
    """Ask for the PIL ("slow") image processors: the ones MIEB's published scores used."""
    import transformers

    major = int(transformers.__version__.split(".")[0])
    return {"backend": "pil"} if major >= 5 else {"use_fast": False}


def revision_of(ref: ModelRef, config: Any) -> str:
    """The commit the files came from (hub cache), else the pinned revision, else none."""
    if ref.local:
        return pick_revision(None, os.path.abspath(ref.target))
    commit = getattr(config, "_commit_hash", None)
    if commit:
        return pick_revision(ref.revision, f"snapshots/{commit}/")
    return pick_revision(ref.revision, _cached_path(ref, "config.json"))


def _cached_path(ref: ModelRef, filename: str) -> str | None:
    """Where the hub cache holds `filename` of the model (after loading, it does)."""
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(ref.target, filename, revision=ref.revision)
    except Exception:  # malformed ids / revisions: no snapshot to read a commit from
        return None
    return found if isinstance(found, str) else None


def checkpoint_identity(
    adapter: str, ref: ModelRef, revision: str, architecture: str, dtype: Any
) -> dict[str, Any]:
    """The fingerprint parts every transformers-backed adapter shares (each adds its own
    preprocessing and text settings)."""
    return {
        "adapter": adapter,
        "id": ref.name if not ref.local else "local",
        "revision": revision,
        "weights": weights_identity(ref, revision),
        "architecture": architecture,
        "dtype": dtype_name(dtype),
    }


def weights_identity(ref: ModelRef, revision: str) -> str:
    """Commit hash for hub snapshots; the bytes of every file for a local directory."""
    if ref.local:
        return content_identity(ref.target, revision)
    if revision != NO_REVISION and len(revision) == 40:
        return f"commit:{revision}"
    return f"hub:{ref.target}@{revision}"
