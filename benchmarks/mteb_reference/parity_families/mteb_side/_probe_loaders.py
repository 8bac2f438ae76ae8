"""Probe inputs as mteb's own dataloaders deliver them, and one `encode` call through a wrapper.

Datasets are built with `datasets.Image()` features (so images arrive as mteb gives them:
decoded PIL images in their original mode) and turned into dataloaders by mteb's
`create_dataloader` for a real task's metadata and side, batch size 32 (mteb.evaluate's
default), then passed to `wrapper.encode` with that task, split "test", subset "default".
"""

from __future__ import annotations

from typing import Any

BATCH_SIZE = 32  # mteb.evaluate's default encode batch size


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
