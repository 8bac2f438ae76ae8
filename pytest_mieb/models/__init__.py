"""Models: the `Encoder` protocol, model ids, and adapters that load them.

Importing this package is cheap (no torch): adapters load lazily in `load_encoder`.

* `base`: the `Encoder` protocol.          * `registry`: `load_encoder`, the front door.
* `validate`: the one check every encoder passes, however it arrives.
* `id_forms`: which id goes to which adapter.
* `hf_dual`: transformers CLIP / SigLIP / SigLIP 2 / ALIGN / BLIP.
* `open_clip_encoder`: OpenCLIP.           * `e5v`: E5-V, prompt-based MLLM embedding.
* `baselines`: weight-free baselines.      * `user_code`: ``package.module:factory``.
* `errors`: `ModelLoadError`.              * `fingerprints`: revisions and fingerprints.

Device and precision are decided in `pytest_mieb.runtime`, hub access in `pytest_mieb.hub`.
"""

from pytest_mieb.models.base import Encoder, Similarity
from pytest_mieb.models.errors import ModelLoadError
from pytest_mieb.models.id_forms import ModelRef, parse_model_id
from pytest_mieb.models.registry import load_encoder
from pytest_mieb.runtime import resolve_device

DEFAULT_OFFLINE_MODEL = "baseline/pixels"

__all__ = [
    "DEFAULT_OFFLINE_MODEL",
    "Encoder",
    "ModelLoadError",
    "ModelRef",
    "Similarity",
    "load_encoder",
    "parse_model_id",
    "resolve_device",
]
