"""Loading and the image-only / per-context calls of the pytest-mieb side (project venv only).

`load` goes through `pytest_mieb.models.load_encoder`, the real front door, on the CPU.
`images` embeds the probe images through the embedder (`_ours_calls.embedder`), as a run does.
`per_context` mirrors `mteb_side._mteb_calls.per_context` for encoders that choose prompts per
task and side: each probe context becomes the context object pytest-mieb hands encoders
(the attributes of `pytest_mieb.models.context.EncodeContext`), and the probe inputs go
straight to the encoder's methods, in batches of 32 as mteb's DataLoader has them, images in
their stored mode (as mteb 2.x hands them to a sentence-transformers model).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from parity_families import probes
from parity_families.ours import _ours_calls

BATCH_SIZE = 32

#: mteb's category letters -> the input kinds of each side (query, document).
_KINDS = {"t": "text", "i": "image"}


def load(model_id: Any, **kwargs: Any) -> Any:
    import os

    from pytest_mieb.models import load_encoder

    os.environ["HF_HUB_OFFLINE"] = "1"  # nothing here may touch the network

    return load_encoder(str(model_id), device="cpu", **kwargs)


def images(encoder: Any) -> np.ndarray:
    from pytest_mieb.data.containers import Inputs

    return _ours_calls.embedder(encoder).embed(Inputs("probes/images", images=probes.images()))


def context(ctx: probes.ProbeContext, modality: str) -> Any:
    """The probe context as pytest-mieb describes a request to an encoder."""
    return SimpleNamespace(
        task=ctx.task, task_type=ctx.task_type, category=ctx.category, side=ctx.side,
        modality=modality, languages=("eng",), prompt=None, subset="default", split="test",
        prompt_type=ctx.side,
    )  # fmt: skip


def _side_kinds(ctx: probes.ProbeContext) -> set[str]:
    query, document = ctx.category.split("2")
    letters = query if ctx.side == "query" else document
    return {_KINDS[c] for c in letters}


def _batched(method: Any, *columns: list[Any], context: Any) -> np.ndarray:
    out = []
    for start in range(0, len(columns[0]), BATCH_SIZE):
        batch = [column[start : start + BATCH_SIZE] for column in columns]
        out.append(np.asarray(method(*batch, context=context).float().cpu().numpy()))
    return np.concatenate(out).astype(np.float64)


def per_context(encoder: Any, fused: bool = True) -> dict[str, np.ndarray]:
    """Every probe context, keyed as `_mteb_calls.context_key` keys them."""
    imgs, texts = probes.images(), list(probes.TEXTS)
    out: dict[str, np.ndarray] = {}
    for ctx in probes.CONTEXTS:
        suffix = f"@{ctx.task}" + (f"/{ctx.side}" if ctx.side else "")
        if ctx.side is not None:
            kinds = _side_kinds(ctx)
            if kinds == {"text"}:
                out["text" + suffix] = _batched(
                    encoder.encode_texts, texts, context=context(ctx, "text")
                )
            elif kinds == {"image"}:
                out["image" + suffix] = _batched(
                    encoder.encode_images, imgs, context=context(ctx, "image")
                )
            elif fused:
                out["fused" + suffix] = _batched(
                    encoder.encode_fused, imgs, texts, context=context(ctx, "image+text")
                )
            continue
        if ctx.task_type == "ZeroShotClassification":
            out["text" + suffix] = _batched(
                encoder.encode_texts, texts, context=context(ctx, "text")
            )
        out["image" + suffix] = _batched(encoder.encode_images, imgs, context=context(ctx, "image"))
    return out
