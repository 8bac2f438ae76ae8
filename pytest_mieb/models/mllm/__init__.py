"""Multimodal-LLM embedders: one adapter per recipe family, as mteb 2.26's wrappers run them.

Which family a model id has is data (`published_models.toml`: a published model's row, or
the ``ids`` a family lists; ``mllm:FAMILY:ID_OR_DIR`` names it); the family's module builds
the prompts, runs the model and pools (see each module's docstring):

* ``lco``: LCO-Embedding-Omni (Qwen2.5-Omni thinker);
* ``gme``: GME (Qwen2-VL; text decoder on plain sequential positions);
* ``vlm2vec_v2``: VLM2Vec-V2.0 (a LoRA/DoRA adapter merged into Qwen2-VL-2B-Instruct);
* ``vlm2vec``: VLM2Vec v1 (Phi-3.5-V remote code, only with the trust flag).

Qwen3-VL-Embedding's recipe runs through the sentence-transformers adapter (its behaviour
lives in the repository's sentence-transformers config; `pytest_mieb.models.st_recipes`).

Per-task instructions (GME, VLM2Vec-V2) come from `pytest_mieb.models.mllm.instructions`.
"""

from __future__ import annotations

import importlib
from typing import Any

from pytest_mieb.models.errors import ModelLoadError
from pytest_mieb.models.id_forms import ModelRef

#: recipe family -> the module that loads it.
FAMILIES = {
    "lco": "pytest_mieb.models.mllm.lco",
    "gme": "pytest_mieb.models.mllm.gme",
    "vlm2vec_v2": "pytest_mieb.models.mllm.vlm2vec_v2",
    "vlm2vec": "pytest_mieb.models.mllm.vlm2vec_v1",
}


def load_mllm(ref: ModelRef, *, device: str, dtype: Any, trust_remote_code: bool) -> Any:
    """Load `ref` with its family's recipe (`ref.family`)."""
    module = FAMILIES.get(ref.family)
    if module is None:
        raise ModelLoadError(
            f"{ref.name!r}: no MLLM recipe {ref.family!r} (known: {', '.join(FAMILIES)})"
        )
    loader = importlib.import_module(module).load
    return loader(ref, device=device, dtype=dtype, trust_remote_code=trust_remote_code)
