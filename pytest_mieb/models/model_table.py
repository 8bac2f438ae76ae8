"""The published models as data: `published_models.toml` read into `PublishedModel` rows.

One row per model whose MIEB scores ship with pytest-mieb: its family (the adapter that loads
it), the revision its published scores were computed at, what it takes (modalities), the
published recipe's precision, and its status. Read at collection (stdlib only, cached), it
gives a bare id its default revision (`pytest_mieb.models.id_forms`), a run without
``--mieb-precision`` its precision, the collection its modality deselection, and the README
its model table (checked by a test).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

TABLE = Path(__file__).with_name("published_models.toml")
STATUSES = ("parity-checked", "loads", "not-supported")


@dataclass(frozen=True)
class PublishedModel:
    """One published model (a `[[model]]` row merged over its `[family.NAME]`)."""

    id: str
    family: str
    revision: str
    backend: str
    recipe: str
    modalities: frozenset[str]
    precision: str
    status: str
    why: str = ""
    parity: str = ""
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def input_kinds(self) -> frozenset[str]:
        """The input kinds it takes: a model taking image and text takes image+text too."""
        kinds = set(self.modalities)
        if {"image", "text"} <= kinds:
            kinds.add("image+text")
        return frozenset(kinds)


@functools.cache
def published_models(path: Path = TABLE) -> dict[str, PublishedModel]:
    """id -> row, in the file's order."""
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    families: dict[str, dict[str, Any]] = raw.get("family", {})
    out: dict[str, PublishedModel] = {}
    for row in raw.get("model", []):
        family = families[row["family"]]
        merged = {**family, **row}
        status = merged.get("status", "")
        if status not in STATUSES:
            raise ValueError(f"{path}: {row['id']}: status {status!r} is not one of {STATUSES}")
        out[row["id"]] = PublishedModel(
            id=row["id"],
            family=row["family"],
            revision=row["revision"],
            backend=merged.get("backend", ""),
            recipe=merged.get("recipe", ""),
            modalities=frozenset(merged.get("modalities", ())),
            precision=merged.get("precision", "fp32"),
            status=status,
            why=merged.get("why", ""),
            parity=merged.get("parity", ""),
            params={**family.get("params", {}), **row.get("params", {})},
        )
    return out


@functools.cache
def _by_lower_id() -> dict[str, PublishedModel]:
    return {key.lower(): row for key, row in published_models().items()}


def published_model(repo: str) -> PublishedModel | None:
    """The row of hub repo `repo` (``org/name``, any case), or None."""
    return _by_lower_id().get(repo.lower())


@functools.cache
def families(path: Path = TABLE) -> dict[str, dict[str, Any]]:
    """family name -> its ``[family.NAME]`` table."""
    with path.open("rb") as fh:
        return dict(tomllib.load(fh).get("family", {}))


@dataclass(frozen=True)
class RegisteredModel:
    """A model mteb registers for a family without published MIEB scores (a family's
    ``ids``): the revision mteb pins, and the family's recipe precision."""

    id: str
    family: str
    revision: str | None
    precision: str


@functools.cache
def _listed_ids() -> dict[str, RegisteredModel]:
    out = {}
    for name, family in families().items():
        for entry in family.get("ids", ()):
            model_id, _, revision = entry.partition("@")
            precision = family.get("precision", "fp32")
            out[model_id.lower()] = RegisteredModel(model_id, name, revision or None, precision)
    return out


def registered_model(repo: str) -> RegisteredModel | None:
    """The family listing of hub repo `repo` (any case), or None."""
    return _listed_ids().get(repo.lower())


def family_of(repo: str) -> str | None:
    """The family of hub repo `repo`: a published model's, else the family whose ``ids``
    list it (models mteb registers without published MIEB scores), else None."""
    row = published_model(repo)
    if row is not None:
        return row.family
    listed = registered_model(repo)
    return listed.family if listed is not None else None
