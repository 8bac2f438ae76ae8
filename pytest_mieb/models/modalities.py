"""Which inputs an encoder takes: declared by the encoder, or read off its methods.

An encoder may declare ``modalities`` (any of "image", "text", "image+text"; a frozenset,
set, tuple or list). Without a declaration the methods say it: ``encode_texts`` -> text,
``image_transform`` with ``encode_pixels`` (or, without a transform, ``encode_images``: an
API model) -> image, ``encode_fused`` -> image+text. A task
that needs an input kind the encoder does not take is "n/a" for it (see
`pytest_mieb.tasks.modalities`): not run, neither passed nor failed.
"""

from __future__ import annotations

from typing import Any

from pytest_mieb.models.errors import ModelLoadError
from pytest_mieb.tasks.modalities import INPUT_KINDS

#: Input kind -> the members an encoder needs to take it.
METHODS_OF_KIND: dict[str, tuple[str, ...]] = {
    "image": ("image_transform", "encode_pixels"),
    "text": ("encode_texts",),
    "image+text": ("encode_fused",),
}


def _has(encoder: Any, kind: str) -> bool:
    if all(getattr(encoder, name, None) is not None for name in METHODS_OF_KIND[kind]):
        return True
    # An API model has no transform: it sends decoded images (`embed.embedder.encode_methods`).
    return (
        kind == "image"
        and callable(getattr(encoder, "encode_images", None))
        and (getattr(encoder, "image_transform", None) is None)
    )


def inferred_modalities(encoder: Any) -> frozenset[str]:
    """The kinds whose methods the encoder has (a member set to None counts as absent)."""
    return frozenset(kind for kind in METHODS_OF_KIND if _has(encoder, kind))


def encoder_modalities(encoder: Any, source: str = "the encoder") -> frozenset[str]:
    """What `encoder` takes: its declared ``modalities``, else `inferred_modalities`.

    A declaration naming an unknown kind, or a kind whose methods the encoder lacks, is a
    `ModelLoadError` naming `source`.
    """
    declared = getattr(encoder, "modalities", None)
    if declared is None:
        return inferred_modalities(encoder)
    if isinstance(declared, str) or not all(isinstance(k, str) for k in declared):
        raise ModelLoadError(
            f"{source}: modalities must be a set of {', '.join(INPUT_KINDS)}; got {declared!r}"
        )
    kinds = frozenset(declared)
    unknown = sorted(kinds - set(INPUT_KINDS))
    if unknown or not kinds:
        raise ModelLoadError(
            f"{source}: modalities must be a non-empty set of {', '.join(INPUT_KINDS)}; "
            f"got {sorted(kinds)}"
        )
    lacking = [
        f"{name} (for {kind})"
        for kind in INPUT_KINDS
        if kind in kinds and not _has(encoder, kind)
        for name in METHODS_OF_KIND[kind]
        if getattr(encoder, name, None) is None
    ]
    if lacking:
        raise ModelLoadError(
            f"{source} declares modalities {sorted(kinds)} but lacks {', '.join(lacking)}"
        )
    return kinds
