"""Feed the probe inputs to an mteb wrapper the way `mteb.evaluate` does, once per context.

For every context in `probes.CONTEXTS` and every input kind (images, texts, image+text pairs)
the wrapper's `encode` gets a DataLoader like the one `mteb.create_dataloader` builds: a
`datasets.Dataset` whose image column is a `datasets.Image` feature (so images arrive as the
decoded PIL images a real dataset yields, unconverted: RGBA, L and P stay so), batches of
`BATCH_SIZE` collated by mteb's own collate function (images as a list), and the task's real
`TaskMetadata`, `hf_split`, `hf_subset` and `prompt_type` (`PromptType.query`/`document` or None).

Every kind is encoded under every context, also where the real task never encodes that kind:
the recipes choose instructions by task and side and prompts by modality, and this covers both.

Result keys: `"{kind}@{task}/{side}"`, kind in image / text / image+text, side query / document
/ none, e.g. `"text@Flickr30kT2IRetrieval/query"`, `"image@CIFAR10/none"`; each value an
(n_items, dim) float array (rows in probe order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from parity_families import probes

BATCH_SIZE = 32  # mteb.evaluate's default encode batch size
KINDS = ("image", "text", "image+text")


def key(kind: str, context: probes.ProbeContext) -> str:
    return f"{kind}@{context.task}/{context.side or 'none'}"


def dataloader(kind: str, batch_size: int = BATCH_SIZE) -> Any:
    """The probe inputs of one kind as mteb hands them to a wrapper."""
    import datasets
    from mteb._create_dataloaders import _custom_collate_fn
    from torch.utils.data import DataLoader

    columns: dict[str, list[Any]] = {}
    features: dict[str, Any] = {}
    if "image" in kind.split("+"):
        columns["image"] = probes.images()
        features["image"] = datasets.Image()
    if "text" in kind.split("+"):
        columns["text"] = list(probes.TEXTS)
        features["text"] = datasets.Value("string")
    dataset = datasets.Dataset.from_dict(columns, features=datasets.Features(features))
    return DataLoader(dataset, batch_size=batch_size, collate_fn=_custom_collate_fn, shuffle=False)


def encode_all(
    encode: Callable[..., Any],
    contexts: list[probes.ProbeContext] | None = None,
    kinds: tuple[str, ...] = KINDS,
) -> dict[str, np.ndarray]:
    """Call `encode` (a wrapper's bound `encode`) for every context and kind."""
    import mteb
    import torch
    from mteb.types import PromptType

    out: dict[str, np.ndarray] = {}
    for context in contexts or probes.CONTEXTS:
        metadata = mteb.get_task(context.task).metadata
        prompt_type = PromptType(context.side) if context.side else None
        for kind in kinds:
            result = encode(
                dataloader(kind),
                task_metadata=metadata,
                hf_split=metadata.eval_splits[0],
                hf_subset=metadata.hf_subsets[0],
                prompt_type=prompt_type,
                show_progress_bar=False,
            )
            if isinstance(result, torch.Tensor):
                result = result.detach().to("cpu", torch.float32).numpy()
            out[key(kind, context)] = np.asarray(result, dtype=np.float64)
    return out
