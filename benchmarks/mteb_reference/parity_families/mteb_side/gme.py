"""GME (Qwen2-VL) through mteb 2.26's `GmeQwen2VL` (model_implementations/gme_v_models.py).

The wrapper only runs on transformers < 4.52 (mteb extra `gme`): it imports
`AutoModelForVision2Seq` and calls `base.model.embed_tokens`, both gone in transformers 5. In
mteb's own venv (transformers 5.x) it is run in the environment `MIEB_PARITY_TRANSFORMERS_GME`
names (see `_other_transformers`), set up once with:

    python3 -m venv /tmp/mteb-gme && /tmp/mteb-gme/bin/pip install "mteb[gme]==2.26.24" \
        "transformers==4.51.3" "sentence-transformers<5" "datasets<4" torch pillow
    MIEB_PARITY_TRANSFORMERS_GME=/tmp/mteb-gme /work/mteb-venv/bin/python \
        benchmarks/mteb_reference/parity.py --family gme ...

The wrapper is built as `mteb.get_model` builds it (defaults: min/max image tokens 4/1280,
max_length 1800; it loads the weights in float16), then cast to float32 for the comparison (the
tiny checkpoint's weights are exactly representable in fp16, so the cast loses nothing).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.mteb_side import _other_transformers, _probe_runs

REQUIREMENT = "<4.52"
ENV_VAR = "MIEB_PARITY_TRANSFORMERS_GME"
SETUP = (
    'python3 -m venv X && X/bin/pip install "mteb[gme]==2.26.24" "transformers==4.51.3" '
    '"sentence-transformers<5" "datasets<4" torch pillow'
)


def embed_here(checkpoint: Path) -> dict[str, np.ndarray]:
    import torch
    from mteb.models.model_implementations.gme_v_models import GmeQwen2VL

    wrapper = GmeQwen2VL(str(checkpoint), revision=None, device="cpu")
    wrapper.model.base.to(torch.float32)
    return _probe_runs.encode_all(wrapper.encode)


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    return _other_transformers.run(
        __name__, checkpoint, embed_here, requirement=REQUIREMENT, env_var=ENV_VAR, setup=SETUP
    )


if __name__ == "__main__":
    _other_transformers.main(embed_here, REQUIREMENT)
