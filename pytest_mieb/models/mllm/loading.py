"""Loading an MLLM embedder's model and processor the project's strict way.

Hub ids are pinned and read offline when the run says so, weights that do not fill the model
are an error, remote code needs the trust flag (`pytest_mieb.models.hf_loading`). The
fingerprint identity names the family, the weights, their dtype and the processor settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_mieb.models.hf_loading import (
    checkpoint_identity,
    load_config,
    load_weights,
    prepare_for_inference,
    revision_of,
    source_kwargs,
    translated_errors,
)
from pytest_mieb.models.id_forms import ModelRef


@dataclass
class Parts:
    model: Any
    processor: Any
    revision: str
    identity: dict[str, Any]


def load_processor(
    ref: ModelRef, processor_class: Any, trust_remote_code: bool, **kwargs: Any
) -> Any:
    with translated_errors(ref):
        return processor_class.from_pretrained(
            ref.target, **kwargs, **source_kwargs(ref, trust_remote_code)
        )


def load_parts(
    ref: ModelRef,
    model_class: Any,
    processor_class: Any,
    *,
    device: str,
    dtype: Any,
    trust_remote_code: bool,
    processor_kwargs: dict[str, Any] | None = None,
) -> Parts:
    """Config, weights (in `dtype`, on `device`, eval mode) and processor of `ref`."""
    config = load_config(ref, trust_remote_code)
    model = load_weights(model_class, ref, dtype, trust_remote_code)
    processor = load_processor(ref, processor_class, trust_remote_code, **(processor_kwargs or {}))
    revision = revision_of(ref, config)
    architecture = (getattr(config, "architectures", None) or [model_class.__name__])[0]
    identity = {
        **checkpoint_identity("mllm", ref, revision, architecture, dtype),
        "processor": _processor_settings(processor),
    }
    return Parts(prepare_for_inference(model, device), processor, revision, identity)


def _processor_settings(processor: Any) -> dict[str, Any]:
    image_processor = getattr(processor, "image_processor", None)
    settings = image_processor.to_dict() if image_processor is not None else {}
    return {key: value for key, value in settings.items() if not key.startswith("_")}
