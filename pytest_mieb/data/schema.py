"""Layout checks and column reads shared by the loaders.

Checks run right after loading and before any row is touched, so a renamed column or a
missing split fails at once with one message that lists everything missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pytest_mieb.data.errors import DataError
from pytest_mieb.data.source import DataSource


def require_configs(src: DataSource, available: Iterable[str], needed: Iterable[str]) -> None:
    have = list(available)
    missing = [c for c in needed if c not in have]
    if missing:
        raise DataError(
            f"{src.ref}: missing config(s) {', '.join(map(repr, missing))} "
            f"(has: {', '.join(have) or 'none'}) in {src.origin}"
        )


def require_layout(
    src: DataSource,
    loaded: Mapping[str, Any],
    columns_by_split: Mapping[str, Sequence[str]],
    config: str | None = None,
) -> None:
    """Every split of `columns_by_split` exists in `loaded` with every listed column."""
    problems = []
    for split, columns in columns_by_split.items():
        if split not in loaded:
            problems.append(f"split {split!r} is missing (has: {', '.join(loaded) or 'none'})")
            continue
        have = loaded[split].column_names
        absent = [c for c in columns if c not in have]
        if absent:
            problems.append(
                f"split {split!r} lacks column(s) {', '.join(map(repr, absent))} "
                f"(has: {', '.join(have)})"
            )
    if problems:
        where = f"config {config!r}: " if config else ""
        raise DataError(f"{src.ref}: {where}{'; '.join(problems)} in {src.origin}")


def pick_split(src: DataSource, loaded: Mapping[str, Any], wanted: str, config: str) -> str:
    """The BEIR rule: split `wanted` if present, else the config's only split."""
    if wanted in loaded:
        return wanted
    if len(loaded) == 1:
        return next(iter(loaded))
    raise DataError(
        f"{src.ref}: config {config!r} has no split {wanted!r} and more than one split "
        f"({', '.join(loaded)}) in {src.origin}"
    )


def column_values(dataset: Any, column: str) -> list[Any]:
    """A whole non-image column as Python values, read from Arrow without decoding rows."""
    if getattr(dataset, "_indices", None) is None:
        return dataset.data.column(column).to_pylist()
    return list(dataset.select_columns([column]).with_format("arrow")[:][column].to_pylist())


def first_present(columns: Sequence[str], candidates: Sequence[str]) -> str | None:
    return next((c for c in candidates if c in columns), None)
