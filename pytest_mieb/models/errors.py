"""`ModelLoadError` and the one-line messages that tell the user what to do next.

Every failure to turn a model id into a working `Encoder` is a `ModelLoadError` whose
message is a single line naming the id and the remedy, so that a pytest report shows it
whole and the plugin can fail every item of that model the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

from pytest_mieb.models.api.catalog import ID_FORMS as API_ID_FORMS

#: The id forms `load_encoder` accepts, for error messages and docs.
ACCEPTED_FORMS = (
    "baseline/pixels | baseline/random",
    "ORG/NAME[@REVISION] (transformers hub id; laion/CLIP-* and repos with "
    "open_clip_config.json go to open_clip; royokong/e5-v to E5-V)",
    "transformers:ID_OR_DIR[@REVISION]",
    "open_clip:ARCH/PRETRAINED_TAG | open_clip:ARCH/PATH/TO/CHECKPOINT.pt",
    "hf-hub:ORG/NAME[@REVISION] | open_clip:hf-hub:ORG/NAME[@REVISION] | open_clip:DIR",
    "e5-v:ID_OR_DIR[@REVISION]",
    "mllm:FAMILY:ID_OR_DIR[@REVISION] (multimodal-LLM embedders: lco, gme, vlm2vec_v2, vlm2vec)",
    "timm:NAME.TAG | timm:hf-hub:ORG/NAME[@REVISION] | timm:DIR",
    "sentence-transformers:ID_OR_DIR[@REVISION]",
    "/path/to/local/model_dir (transformers or open_clip layout)",
    "package.module:factory (your own code returning an Encoder)",
    *API_ID_FORMS,
)


class ModelLoadError(Exception):
    """A model id could not be turned into a working `Encoder`; the message says why and how."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


def unknown_id(model_id: str, why: str = "") -> ModelLoadError:
    reason = f" ({why})" if why else ""
    forms = "; ".join(ACCEPTED_FORMS)
    return ModelLoadError(f"unknown model id {model_id!r}{reason}; accepted forms: {forms}")


def not_available_offline(model_id: str, revision: str | None, detail: str = "") -> ModelLoadError:
    rev = revision or "default branch"
    more = f" ({short(detail)})" if detail else ""
    return ModelLoadError(
        f"weights of {model_id!r} at revision {rev} are not reachable{more}: no network access "
        "and not in the local Hugging Face cache; download them once with network access "
        "(HF_HUB_OFFLINE=1 then reads the cache), or pass a local directory / checkpoint path "
        "as the model id"
    )


def needs_remote_code(model_id: str) -> ModelLoadError:
    return ModelLoadError(
        f"{model_id!r} needs code from its repository (trust_remote_code); review that code, "
        "then pass --mieb-trust-remote-code to allow it"
    )


def weights_not_loaded(model_id: str, missing: Iterable[str]) -> ModelLoadError:
    keys = sorted(missing)
    shown = ", ".join(keys[:5]) + (f", ... ({len(keys)} in all)" if len(keys) > 5 else "")
    return ModelLoadError(
        f"checkpoint of {model_id!r} does not hold all weights of the model; missing: {shown}; "
        "these would be left randomly initialised, so nothing is evaluated: check that the "
        "checkpoint matches the architecture (config / ARCH name)"
    )


def short(text: object, limit: int = 200) -> str:
    """First `limit` characters of an exception text, on one line."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
