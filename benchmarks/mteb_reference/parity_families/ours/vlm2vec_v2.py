"""vlm2vec_v2: the tiny adapter repo served offline as `VLM2Vec/VLM2Vec-V2.0` and its tiny base
as `Qwen/Qwen2-VL-2B-Instruct` (the id the adapter config names), loaded by the adapter's id (at
the served commit), so that pytest-mieb picks the VLM2Vec-V2 recipe from the model table; every
probe kind under every probe context through the embedder, as a run feeds it
(`_ours_calls.encode_all`). The mteb side runs the wrapper with `torch_dtype=float32`; here
fp32 is the CPU's dtype for the recipe's bf16 (the loader warns)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from parity_families.mteb_side._offline_hub import MAIN, hub_repos
from parity_families.ours import _ours_calls, _ours_loads

MODEL_ID = "VLM2Vec/VLM2Vec-V2.0"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from tinymodels import vlm2vec_v2

    repos = {
        MODEL_ID: (checkpoint, MAIN),
        vlm2vec_v2.BASE_REPO: (vlm2vec_v2.base_checkpoint(checkpoint), vlm2vec_v2.BASE_COMMIT),
    }
    with hub_repos(repos), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        encoder = _ours_loads.load(f"{MODEL_ID}@{MAIN}", precision="bf16")
        return _ours_calls.encode_all(encoder)
