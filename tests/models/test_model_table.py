"""The published-models table: one row per model with published scores, consistent with the
adapters that exist, and the README's table generated from it (issue 13 items 5, 9)."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from pytest_mieb.models.id_forms import Backend, default_backend, parse_model_id
from pytest_mieb.models.model_table import STATUSES, published_models
from pytest_mieb.models.model_table_docs import END, START, readme_table, with_table
from pytest_mieb.results.published import published_models as scored_models
from pytest_mieb.results.published import reference_revision
from pytest_mieb.runtime import PRECISIONS

README = Path(__file__).resolve().parents[2] / "README.md"
ADAPTERS = set(get_args(Backend)) - {"baseline", "user"}  # the registry loads each of these
PARITY = Path(__file__).resolve().parents[2] / "benchmarks/mteb_reference/parity_families/ours"


def test_every_published_model_has_one_row_at_its_published_revision() -> None:
    rows = published_models()
    assert sorted(rows) == sorted(scored_models())
    for model_id, row in rows.items():
        assert row.revision == reference_revision(model_id), model_id
        if row.backend != "api":  # API models have no revisions
            assert parse_model_id(model_id).revision == row.revision


def test_rows_are_consistent_with_the_adapters_and_parity_checks() -> None:
    for row in published_models().values():
        assert row.status in STATUSES and row.precision in PRECISIONS, row.id
        assert row.modalities and row.modalities <= {"image", "text"}, row.id
        if row.backend:
            assert default_backend(row.id) == row.backend, row.id
        if row.status in ("parity-checked", "loads"):
            assert row.backend in ADAPTERS, row.id
        else:
            assert row.why, f"{row.id}: a model that is not supported says why"
        if row.status == "parity-checked":
            assert (PARITY / f"{row.parity}.py").is_file(), row.id


def test_the_readme_table_is_generated_from_the_model_table() -> None:
    text = README.read_text(encoding="utf-8")
    assert with_table(text) == text, (
        "README's published-models table is stale: python -m pytest_mieb.models.model_table_docs"
    )
    table = text.split(START)[1].split(END)[0]
    assert table.strip() == readme_table()
    assert table.count("\n| ") == len(published_models()) + 1  # header rows aside
