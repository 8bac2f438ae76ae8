"""A corrupt image on disk fails the one item that reads it, with one line naming it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from plugin_runs import Reports, assert_ran, run

CORPUS = Path("pytest-mieb/local-scenes-t2i/corpus/test-00000-of-00001.parquet")
BAD_ROW = 3


def corrupt_one_image(parquet: Path, row: int) -> None:
    """Replace the encoded bytes of one image cell, keeping the file's schema and metadata."""
    table = pq.read_table(parquet)
    cells = table.column("image").to_pylist()
    cells[row] = {"bytes": b"\xff\xd8\xff\xe0 not the rest of a JPEG", "path": None}
    index = table.schema.get_field_index("image")
    column = pa.array(cells, type=table.schema.field("image").type)
    pq.write_table(table.set_column(index, table.schema.field("image"), column), parquet)


@pytest.mark.usefixtures("offline_env")
def test_a_corrupt_image_fails_only_its_item_naming_dataset_split_column_and_row(
    pytester: pytest.Pytester, local_data: Path, tmp_path: Path
) -> None:
    mirror = tmp_path / "mirror"
    shutil.copytree(local_data, mirror)
    corrupt_one_image(mirror / CORPUS, BAD_ROW)
    reports = Reports()
    result = run(
        pytester, mirror, "--mieb-model=baseline/pixels", "-m", "mieb_local", plugins=(reports,)
    )
    assert_ran(result, passed=16, failed=1)
    (failed,) = reports.failures
    assert failed == "LocalScenesT2IRetrieval[baseline/pixels]"
    line = reports.failures[failed]
    assert line.startswith(
        "CorruptImageError: pytest-mieb/local-scenes-t2i@local-v1 config 'corpus' split 'test' "
        f"column 'image' row {BAD_ROW}: cannot decode the image ("
    ), line
    assert "\n" not in line
