"""Every probe kind under every probe context, through the encoder's own methods.

The pytest-mieb side for families whose mteb wrapper hands the images to the model's processor
as the dataset stores them (RGBA, L and P unconverted; the processor converts, compositing
alpha onto white): each probe context becomes the context pytest-mieb hands encoders
(`_ours_loads.context`), the inputs go to `encode_images` / `encode_texts` / `encode_fused` in
batches of 32 as mteb's DataLoader has them, and results are keyed as the mteb side's
`_probe_runs.encode_all` keys them (``"{kind}@{task}/{side}"``). (Through the embedder an image
is decoded to RGB first, alpha dropped: the one difference a run adds, on images with alpha.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from parity_families import probes
from parity_families.ours import _ours_loads

KINDS = ("image", "text", "image+text")


def _call(encoder: Any, kind: str, ctx: probes.ProbeContext) -> np.ndarray:
    imgs, texts = probes.images(), list(probes.TEXTS)
    context = _ours_loads.context(ctx, kind)
    if kind == "image":
        return _ours_loads._batched(encoder.encode_images, imgs, context=context)
    if kind == "text":
        return _ours_loads._batched(encoder.encode_texts, texts, context=context)
    return _ours_loads._batched(encoder.encode_fused, imgs, texts, context=context)


def encode_all(encoder: Any) -> dict[str, np.ndarray]:
    return {
        f"{kind}@{ctx.task}/{ctx.side or 'none'}": _call(encoder, kind, ctx)
        for ctx in probes.CONTEXTS
        for kind in KINDS
    }
