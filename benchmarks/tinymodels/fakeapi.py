"""The "checkpoint" of the API families: the seed the fake API server derives its vectors from.

API models have no weights. Their parity check (`mteb_reference/parity_families/mteb_side/
voyage_multimodal.py`, `cohere_embed.py`, `gemini_embedding.py`) runs mteb's API wrapper and
pytest-mieb's client against the loopback server in `benchmarks/fakeapis`, whose embeddings
are a hash of what each request carried; equal embeddings on both sides mean equal requests.
This builder writes `fakeapi.json` with the seed both sides start their server with.
"""

from __future__ import annotations

from pathlib import Path

from tinymodels._checkpoints import build_once, write_json


def build(root: Path, seed: int = 0) -> Path:
    """Write `root/fakeapi/fakeapi.json` (reused when already there)."""
    return build_once(root, "fakeapi", lambda out: write_json(out / "fakeapi.json", {"seed": seed}))
