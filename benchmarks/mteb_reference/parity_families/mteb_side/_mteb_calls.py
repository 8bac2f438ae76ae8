"""The encode calls mteb 2.26's evaluators make, rebuilt for the probe inputs (mteb venv only).

A family module loads mteb's own wrapper on a tiny checkpoint and hands it to these functions;
each builds the `datasets.Dataset` and DataLoader the way the evaluator of that call shape does
(mteb's `create_dataloader` / `_create_dataloader_from_texts`, the real task's
`TaskMetadata`, `hf_split`, `hf_subset`, `prompt_type`, `encode_kwargs={"batch_size": 32}`), so
the wrapper sees what it sees inside `mteb.evaluate`:

* images as a `datasets.Image` column: PIL images decoded in their stored mode (RGBA, L, P kept),
  under the task's own input column name, renamed to `image` by `create_dataloader`;
* zero-shot candidate labels as a bare text dataset (`_create_dataloader_from_texts`);
* retrieval queries with columns `id, image, text` (mteb adds `query`, the raw text), corpus rows
  with `id, image, text, title=""` (mteb strips the text and adds `body`);
  column order as mteb's mock retrieval tasks have it.
"""

from __future__ import annotations

from typing import Any

import datasets
import numpy as np
from mteb import get_task
from mteb._create_dataloaders import _create_dataloader_from_texts, create_dataloader
from mteb.types import PromptType
from PIL import Image

from parity_families import probes

BATCH_SIZE = 32  # mteb.evaluate's default encode_kwargs
ENCODE_KWARGS: dict[str, Any] = {"batch_size": BATCH_SIZE, "show_progress_bar": False}


def _as_numpy(out: Any) -> np.ndarray:
    if hasattr(out, "detach"):
        out = out.detach().float().cpu().numpy()
    return np.asarray(out, dtype=np.float64)


def _image_feature_dataset(columns: dict[str, list]) -> datasets.Dataset:
    features = {}
    for name, values in columns.items():
        if values and isinstance(values[0], Image.Image):
            features[name] = datasets.Image()
        elif values and isinstance(values[0], int):
            features[name] = datasets.Value("int64")
        else:
            features[name] = datasets.Value("string")
    return datasets.Dataset.from_dict(columns, features=datasets.Features(features))


def _encode(model: Any, loader: Any, task: str, prompt_type: PromptType | None,
            split: str = "test", subset: str = "default") -> np.ndarray:  # fmt: skip
    meta = get_task(task).metadata
    out = model.encode(
        loader, task_metadata=meta, hf_split=split, hf_subset=subset, prompt_type=prompt_type,
        **ENCODE_KWARGS,
    )  # fmt: skip
    return _as_numpy(out)


def images_plain(model: Any, images: list[Image.Image], task: str = "CIFAR10",
                 split: str = "test", mieb_era_tensors: bool = False) -> np.ndarray:  # fmt: skip
    """Classification / clustering / zero-shot images / visual STS: `prompt_type=None`.

    `mieb_era_tensors`: batches carry what the MIEB-era (mteb 1.x) evaluators handed models,
    `PILToTensor()(image.convert("RGB"))` (uint8 CHW tensors), instead of PIL images.
    """
    mteb_task = get_task(task)
    column = getattr(mteb_task, "input_column_name", None) or "image"
    columns: dict[str, list] = {column: list(images)}
    if mteb_task.metadata.type != "VisualSTS(eng)":
        columns["label"] = list(range(len(images)))
    loader = create_dataloader(
        _image_feature_dataset(columns), task_metadata=mteb_task.metadata, input_column=column,
        batch_size=BATCH_SIZE,
    )  # fmt: skip
    if mieb_era_tensors:
        loader.dataset.set_transform(_rgb_uint8_tensors, output_all_columns=True)
    return _encode(model, loader, task, None, split=split)


def _rgb_uint8_tensors(batch: dict[str, list]) -> dict[str, list]:
    from torchvision.transforms import PILToTensor

    return {**batch, "image": [PILToTensor()(img.convert("RGB")) for img in batch["image"]]}


def label_texts(model: Any, texts: list[str], task: str = "CIFAR10ZeroShot") -> np.ndarray:
    """Zero-shot candidate labels: a bare text dataset, `prompt_type=None`."""
    loader = _create_dataloader_from_texts(list(texts), batch_size=BATCH_SIZE)
    return _encode(model, loader, task, None)


def retrieval_side(model: Any, task: str, side: str, texts: list[str] | None = None,
                   images: list[Image.Image] | None = None) -> np.ndarray:  # fmt: skip
    """One side of a retrieval-type task (`query` or `document`), as the search wrapper sends it."""
    prompt_type = PromptType(side)
    meta = get_task(task).metadata
    n = len(texts) if texts is not None else len(images or [])
    columns: dict[str, list] = {"id": [f"{side[0]}{k}" for k in range(n)]}
    if images is not None:
        columns["image"] = list(images)
    if texts is not None:
        columns["text"] = list(texts)
        if prompt_type is PromptType.document:
            columns["title"] = [""] * n
    loader = create_dataloader(
        _image_feature_dataset(columns), task_metadata=meta, prompt_type=prompt_type,
        batch_size=BATCH_SIZE,
    )  # fmt: skip
    return _encode(model, loader, task, prompt_type)


def clip_like(model: Any, images: list[Image.Image] | None = None) -> dict[str, np.ndarray]:
    """`image`, `text` and `fused` for a model whose recipe ignores the task and the side.

    image: CIFAR10 (classification) images; text: CIFAR10ZeroShot candidate labels; fused:
    CIRRIT2IRetrieval queries (image + text in one row). `images` default to the probe images.
    """
    imgs = probes.images() if images is None else images
    return {
        "image": images_plain(model, imgs),
        "text": label_texts(model, probes.TEXTS),
        "fused": retrieval_side(model, "CIRRIT2IRetrieval", "query", probes.TEXTS, imgs),
    }


def rgb_images() -> list[Image.Image]:
    """The probe images converted to RGB, as the MIEB-era (mteb 1.x) evaluators converted every
    image before the model saw it (`image.convert("RGB")`, then `PILToTensor`)."""
    return [img.convert("RGB") for img in probes.images()]


def context_key(kind: str, ctx: probes.ProbeContext) -> str:
    """`text@Flickr30kT2IRetrieval/query`, `image@CIFAR10`, ..."""
    return f"{kind}@{ctx.task}" + (f"/{ctx.side}" if ctx.side else "")


def per_context(model: Any, fused: bool = True, images: bool = True) -> dict[str, np.ndarray]:
    """Every probe context with the inputs its task sends on that side, keyed by `context_key`.

    Retrieval sides get texts, images or both (`fused`) by the task's category; zero-shot tasks
    get their labels (texts) and images; every other task images. `fused=False` / `images=False`
    leave out the contexts whose inputs hold both modalities / any image.
    """
    imgs = probes.images()
    out: dict[str, np.ndarray] = {}
    for ctx in probes.CONTEXTS:
        meta = get_task(ctx.task).metadata
        if ctx.side is not None:
            mods = meta.get_modalities(PromptType(ctx.side))
            texts = probes.TEXTS if "text" in mods else None
            side_images = imgs if "image" in mods else None
            kind = "fused" if texts and side_images else ("text" if texts else "image")
            if (kind != "fused" or fused) and (kind == "text" or images):
                out[context_key(kind, ctx)] = retrieval_side(model, ctx.task, ctx.side, texts,
                                                             side_images)  # fmt: skip
            continue
        if meta.type == "ZeroShotClassification":
            out[context_key("text", ctx)] = label_texts(model, probes.TEXTS, ctx.task)
        if images:
            out[context_key("image", ctx)] = images_plain(model, imgs, ctx.task)
    return out


def use_pil_image_processor(processor: Any, checkpoint: Any) -> None:
    """Swap a transformers processor's image processor for the PIL ("slow") class of the same
    config. transformers 5 picks the torchvision class by default; the published MIEB scores
    (mteb 1.x, transformers 4) used the PIL one, and the two resize differently (~1e-2)."""
    from transformers import AutoImageProcessor

    processor.image_processor = AutoImageProcessor.from_pretrained(checkpoint, backend="pil")
