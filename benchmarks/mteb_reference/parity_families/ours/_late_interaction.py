"""The pytest-mieb side of the late-interaction families (keys as `mteb_side._late_interaction`).

The tiny checkpoint goes through the real front door (`load_encoder` on its directory, routed
by its colpali-engine architecture to `pytest_mieb.models.late_interaction`) and the probes
through the Embedder, as a run encodes them: `text/<i>` (queries), `image/<j>` (documents),
`fused/<k>` (image k + text k) as per-input token matrices, and `maxsim` from the retrieval
scorer (`pytest_mieb.metrics.maxsim`) with mteb's padding rule (`padding_floor`), scored in
one corpus chunk as mteb scores the six probe documents.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families import probes
from parity_families.ours import _ours_calls


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from pytest_mieb.data.containers import Inputs
    from pytest_mieb.metrics.maxsim import maxsim_scores, padding_floor
    from pytest_mieb.models import load_encoder

    encoder = load_encoder(str(checkpoint), device="cpu")
    run = _ours_calls.embedder(encoder)
    texts, images = list(probes.TEXTS), probes.images()
    encoded = {
        "text": run.embed(Inputs("probes/texts", texts=texts)),
        "image": run.embed(Inputs("probes/images", images=images)),
        "fused": run.embed(Inputs("probes/fused", images=images, texts=texts)),
    }
    out: dict[str, np.ndarray] = {}
    for kind, vectors in encoded.items():
        for i in range(len(vectors)):
            out[f"{kind}/{i}"] = vectors.item(i)
    docs = encoded["image"]
    out["maxsim"] = maxsim_scores(encoded["text"], docs, padding_floor(docs))
    return out
