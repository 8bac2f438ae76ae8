"""What a model id gets when the run does not say: the published revision and recipe precision.

A published model's bare id loads the revision its published scores were computed at
(`pytest_mieb.models.id_forms`); without ``--mieb-precision`` it runs in its published
recipe's precision (`published_models.toml`: e.g. "fp16-mixed" for the open_clip models).
The models mteb registers for a family without published scores (a family's ``ids``) get
mteb's pinned revision and the family's precision the same way; every other model fp32.
The terminal summary says which defaults a run used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_mieb.models.model_table import published_model, registered_model

if TYPE_CHECKING:
    from pytest_mieb.models.id_forms import ModelRef

DEFAULT_PRECISION = "fp32"


def _parsed(model_id: str) -> ModelRef | None:
    from pytest_mieb.models.errors import ModelLoadError
    from pytest_mieb.models.id_forms import parse_model_id

    try:
        return parse_model_id(model_id)
    except ModelLoadError:
        return None


def _recipe_precision(ref: ModelRef) -> tuple[str, str] | None:
    """(precision, whose recipe) for a published model, or one a family lists, reached
    through its own adapter; else None."""
    from pytest_mieb.models.id_forms import default_backend

    if ref.local or ref.backend in ("baseline", "user"):
        return None
    row = published_model(ref.target)
    if row is not None:
        return (row.precision, "the published recipe") if row.backend == ref.backend else None
    listed = registered_model(ref.target)
    if listed is None or default_backend(ref.target) != ref.backend:
        return None
    return listed.precision, f"mteb's recipe for {listed.family}"


def run_precision(model_id: str | None, requested: str | None) -> str:
    """`requested` when given, else the recipe's precision (published models, and the models
    mteb registers for a family), else fp32."""
    if requested:
        return requested
    ref = _parsed(model_id) if model_id else None
    recipe = _recipe_precision(ref) if ref is not None else None
    return recipe[0] if recipe is not None else DEFAULT_PRECISION


def defaults_note(model_id: str, requested_precision: str | None) -> str | None:
    """One line on the defaults `model_id` runs with, or None when it uses none."""
    ref = _parsed(model_id)
    if ref is None:
        return None
    parts = []
    if ref.revision_source == "published":
        parts.append(f"revision {ref.revision} (the published scores' revision; @main to override)")
    if ref.revision_source == "registered":
        parts.append(f"revision {ref.revision} (mteb's pinned revision; @main to override)")
    recipe = _recipe_precision(ref)
    if recipe is not None and not requested_precision:
        parts.append(f"precision {recipe[0]} ({recipe[1]}; --mieb-precision to override)")
    return f"{model_id}: {'; '.join(parts)}" if parts else None
