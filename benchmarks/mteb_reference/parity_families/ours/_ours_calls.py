"""The pytest-mieb side of the parity check: probe inputs through the real loader and embedder.

A family module loads its tiny checkpoint the way a user's id would (`load_encoder` on the
checkpoint directory, or on a hub id served from an offline cache), and hands the encoder to
these functions, which embed the probe inputs through `pytest_mieb.embed.Embedder` (the same
batching, image workers and fast pixel paths a run uses), keyed like the mteb side's
`_mteb_calls` results.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from parity_families import probes


def embedder(encoder: Any) -> Any:
    from pytest_mieb.embed.embedder import Embedder

    return Embedder(encoder, num_workers=0, memory_cache_bytes=0)


def clip_like(encoder: Any, images: list[Any] | None = None) -> dict[str, np.ndarray]:
    """`image`, `text` and `fused` as `_mteb_calls.clip_like` gives them (the probe images,
    the probe texts as zero-shot labels, image k + text k as retrieval queries)."""
    from pytest_mieb.data.containers import Inputs

    imgs = probes.images() if images is None else images
    run = embedder(encoder)
    return {
        "image": run.embed(Inputs("probes/images", images=imgs)),
        "text": run.embed(Inputs("probes/texts", texts=list(probes.TEXTS))),
        "fused": run.embed(Inputs("probes/fused", images=imgs, texts=list(probes.TEXTS))),
    }
