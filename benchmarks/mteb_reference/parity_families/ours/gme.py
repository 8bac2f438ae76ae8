"""gme: the tiny Qwen2-VL checkpoint served offline as the hub repo
`Alibaba-NLP/gme-Qwen2-VL-2B-Instruct` and loaded by that id (at the served commit), so that
pytest-mieb picks the GME recipe from the model table; every probe kind under every probe
context through the embedder, as a run feeds it (`_ours_calls.encode_all`; GME converts images
to RGB itself, alpha dropped, as the embedder's decoding does). On CPU the recipe's fp16
weights are fp32 (the loader warns), as the mteb side casts them."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from parity_families.mteb_side._offline_hub import MAIN, hub_repo
from parity_families.ours import _ours_calls, _ours_loads

MODEL_ID = "Alibaba-NLP/gme-Qwen2-VL-2B-Instruct"


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    with hub_repo(checkpoint, MODEL_ID) as name, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        encoder = _ours_loads.load(f"{name}@{MAIN}", precision="fp16")
        return _ours_calls.encode_all(encoder)
