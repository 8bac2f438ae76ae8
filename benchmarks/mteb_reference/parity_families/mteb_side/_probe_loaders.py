"""Probe inputs as mteb's own dataloaders deliver them, and `encode` calls through a wrapper.

`CALLS` names the probe encodings the dense families compare (key: modality / side):

    text/query      probe texts, query side of a t2i DocumentUnderstanding task
    image/document  probe images, document side of the same task
    fused/query     (image k, text k) pairs, query side of an it2i Any2AnyRetrieval task
    text/none       probe texts, ZeroShotClassification (no side: prompt_type None)
    image/none      probe images, ImageClassification (no side)

Datasets are built with `datasets.Image()` features (so images arrive as mteb gives them:
decoded PIL images in their original mode) and turned into dataloaders by mteb's
`create_dataloader` for a real task's metadata and side, batch size 32 (mteb.evaluate's
default), then passed to `wrapper.encode` with that task, split "test", subset "default".
"""

from __future__ import annotations

from typing import Any

import numpy as np

BATCH_SIZE = 32  # mteb.evaluate's default encode batch size
T2I_TASK = "VidoreDocVQARetrieval"
IT2I_TASK = "CIRRIT2IRetrieval"
#: (output key, input kind, task, side)
CALLS: list[tuple[str, str, str, str | None]] = [
    ("text/query", "text", T2I_TASK, "query"),
    ("image/document", "image", T2I_TASK, "document"),
    ("fused/query", "fused", IT2I_TASK, "query"),
    ("text/none", "text", "CIFAR10ZeroShot", None),
    ("image/none", "image", "CIFAR10", None),
]


def dataset(texts: list[str] | None = None, images: list[Any] | None = None, ids: str = "x"):
    """A `datasets.Dataset` with `id` and the given `text` / `image` columns."""
    import datasets

    n = len(texts if texts is not None else images)
    data: dict[str, Any] = {"id": [f"{ids}{i}" for i in range(n)]}
    features = {"id": datasets.Value("string")}
    if texts is not None:
        data["text"], features["text"] = texts, datasets.Value("string")
    if images is not None:
        data["image"], features["image"] = images, datasets.Image()
    return datasets.Dataset.from_dict(data, features=datasets.Features(features))


def encode(wrapper, data, task: str, prompt_type, batch_size: int = BATCH_SIZE):
    """`wrapper.encode` of `data` as mteb calls it for `task` on side `prompt_type`."""
    import mteb
    from mteb._create_dataloaders import create_dataloader

    meta = mteb.get_task(task).metadata
    loader = create_dataloader(data, task_metadata=meta, prompt_type=prompt_type,
                               batch_size=batch_size)  # fmt: skip
    return wrapper.encode(
        loader, task_metadata=meta, hf_split="test", hf_subset="default", prompt_type=prompt_type
    )


def probe_data(kind: str):
    from parity_families import probes

    texts, images = probes.TEXTS, probes.images()
    return dataset(
        texts=texts if kind in ("text", "fused") else None,
        images=images if kind in ("image", "fused") else None,
    )


def encode_call(wrapper, key: str) -> np.ndarray:
    """One of `CALLS` through `wrapper`, as a float64 array."""
    from mteb.types import PromptType

    _, kind, task, side = next(c for c in CALLS if c[0] == key)
    prompt_type = {"query": PromptType.query, "document": PromptType.document, None: None}[side]
    out = encode(wrapper, probe_data(kind), task, prompt_type)
    return np.asarray(out, dtype=np.float64)
