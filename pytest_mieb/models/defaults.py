"""What a model id gets when the run does not say: the published revision and recipe precision.

A published model's bare id loads the revision its published scores were computed at
(`pytest_mieb.models.id_forms`); without ``--mieb-precision`` it runs in its published
recipe's precision (`published_models.toml`: e.g. "fp16-mixed" for the open_clip models),
every other model in fp32. The terminal summary says which defaults a run used.
"""

from __future__ import annotations

from pytest_mieb.models.model_table import PublishedModel, published_model

DEFAULT_PRECISION = "fp32"


def _row(model_id: str) -> PublishedModel | None:
    from pytest_mieb.models.errors import ModelLoadError
    from pytest_mieb.models.id_forms import parse_model_id

    try:
        ref = parse_model_id(model_id)
    except ModelLoadError:
        return None
    if ref.local or ref.backend in ("baseline", "user"):
        return None
    row = published_model(ref.target)
    return row if row is not None and row.backend == ref.backend else None


def run_precision(model_id: str | None, requested: str | None) -> str:
    """`requested` when given, else the published recipe's precision, else fp32."""
    if requested:
        return requested
    row = _row(model_id) if model_id else None
    return row.precision if row is not None else DEFAULT_PRECISION


def defaults_note(model_id: str, requested_precision: str | None) -> str | None:
    """One line on the defaults `model_id` runs with, or None when it uses none."""
    from pytest_mieb.models.errors import ModelLoadError
    from pytest_mieb.models.id_forms import parse_model_id

    try:
        ref = parse_model_id(model_id)
    except ModelLoadError:
        return None
    parts = []
    if ref.revision_source == "published":
        parts.append(f"revision {ref.revision} (the published scores' revision; @main to override)")
    row = _row(model_id)
    if row is not None and not requested_precision:
        parts.append(
            f"precision {row.precision} (the published recipe; --mieb-precision to override)"
        )
    return f"{model_id}: {'; '.join(parts)}" if parts else None
