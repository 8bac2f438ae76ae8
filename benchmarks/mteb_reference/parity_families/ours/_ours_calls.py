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


def encode_all(encoder: Any, kinds: tuple[str, ...] = ("image", "text", "image+text")) -> dict:
    """Every probe kind under every `probes.CONTEXTS` context, keyed as `_probe_runs.key`
    (``"{kind}@{task}/{side}"``): the embedder bound to the context's task (`for_task`), asked
    with its side, its first hf subset and its evaluation split, as an evaluator asks."""
    from pytest_mieb.data.containers import Inputs
    from pytest_mieb.tasks.index import load_all_specs

    specs = load_all_specs()
    run = embedder(encoder)
    imgs, texts = probes.images(), list(probes.TEXTS)
    columns = {
        "image": {"images": imgs},
        "text": {"texts": texts},
        "image+text": {"images": imgs, "texts": texts},
    }
    out = {}
    for context in probes.CONTEXTS:
        spec = specs[context.task]
        bound = run.for_task(spec)
        subset = next(iter(spec.subsets), "default")
        for kind in kinds:
            inputs = Inputs(f"probes/{kind}", **columns[kind])  # type: ignore[arg-type]
            emb = bound.embed(inputs, side=context.side, subset=subset)
            out[f"{kind}@{context.task}/{context.side or 'none'}"] = np.asarray(emb)
    return out
