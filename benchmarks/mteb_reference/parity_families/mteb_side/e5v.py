"""E5-V (LLaVA-NeXT) through mteb 2.26's `E5VModel` (mteb/models/model_implementations/e5_v.py).

The wrapper only runs on transformers <= 4.44.2 (mteb extra `e5-v`): from 4.45 on the
LLaVA-NeXT processor expects the image tokens expanded, and in transformers 5 its first positional
argument is `images`, so `processor(prompts, images)` fails. In mteb's own venv it is run in the
environment `MIEB_PARITY_TRANSFORMERS_E5V` names (see `_other_transformers`), set up once with:

    python3 -m venv /tmp/mteb-e5v && /tmp/mteb-e5v/bin/pip install "mteb[e5-v]==2.26.24" \
        "transformers==4.44.2" "sentence-transformers<5" "datasets<4" torch pillow

The wrapper is built as `mteb.get_model("royokong/e5-v")` builds it, except `device_map="auto"`
(a loader kwarg that needs accelerate and picks the GPU): on CPU it is left out. No dtype is
passed, so transformers 4.44 loads float32 (the published scores' mteb 1.14 code passed fp16).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.mteb_side import _other_transformers, _probe_runs

REQUIREMENT = "<=4.44.2"
ENV_VAR = "MIEB_PARITY_TRANSFORMERS_E5V"
SETUP = (
    'python3 -m venv X && X/bin/pip install "mteb[e5-v]==2.26.24" "transformers==4.44.2" '
    '"sentence-transformers<5" "datasets<4" torch pillow'
)


def embed_here(checkpoint: Path) -> dict[str, np.ndarray]:
    from mteb.models.model_implementations.e5_v import E5VModel

    wrapper = E5VModel(str(checkpoint), revision=None, device="cpu")
    return _probe_runs.encode_all(wrapper.encode)


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    return _other_transformers.run(
        __name__, checkpoint, embed_here, requirement=REQUIREMENT, env_var=ENV_VAR, setup=SETUP
    )


if __name__ == "__main__":
    _other_transformers.main(embed_here, REQUIREMENT)
