"""The offline suite: generated datasets in hub layouts, read back through the mirror path."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_mieb.data import load_task_data, materialize_local_datasets
from pytest_mieb.data.containers import (
    ClassificationData,
    ClusteringData,
    PairMatchingData,
    RetrievalData,
    STSData,
    ZeroShotData,
)
from pytest_mieb.data.local import LOCAL_ORG, LOCAL_REVISION
from pytest_mieb.data.local.build import DATASETS
from pytest_mieb.data.source import REVISION_MARKER
from pytest_mieb.tasks.protocols import PROTOCOLS
from pytest_mieb.tasks.suites import load_suite_file
from pytest_mieb.tasks.types import TYPE_MARKERS

LOCAL_SUITE = Path(__file__).resolve().parents[2] / "suites" / "local" / "local.toml"


@pytest.fixture(scope="module")
def local_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("local-data")
    materialize_local_datasets(root)
    return root


@pytest.fixture(scope="module")
def local_specs():
    return load_suite_file(LOCAL_SUITE).tasks


def data_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix in {".parquet", ".tar", ".md"}
    }


def test_every_dataset_is_written_with_its_revision(local_root: Path) -> None:
    for name in DATASETS:
        directory = local_root / LOCAL_ORG / name
        assert (directory / REVISION_MARKER).read_text().strip() == LOCAL_REVISION
        assert any(p.suffix in {".parquet", ".tar"} for p in directory.rglob("*"))
    assert (local_root / LOCAL_ORG / "local-wds-digits" / "test" / "0.tar").is_file()
    assert "configs:" in (local_root / LOCAL_ORG / "local-scenes-t2i" / "README.md").read_text()


def test_materialize_is_idempotent_and_deterministic(local_root: Path, tmp_path: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in local_root.rglob("*") if p.is_file()}
    assert materialize_local_datasets(local_root) == []
    assert {p: p.stat().st_mtime_ns for p in local_root.rglob("*") if p.is_file()} == before
    materialize_local_datasets(tmp_path)
    assert data_files(tmp_path) == data_files(local_root)


def test_a_stale_copy_is_rebuilt(tmp_path: Path) -> None:
    target = tmp_path / LOCAL_ORG / "local-rendered-sts"
    target.mkdir(parents=True)
    (target / REVISION_MARKER).write_text("local-v0\n")
    (target / "leftover.parquet").write_bytes(b"old")
    built = materialize_local_datasets(tmp_path)
    assert target in built
    assert not (target / "leftover.parquet").exists()
    assert (target / REVISION_MARKER).read_text().strip() == LOCAL_REVISION


def test_local_suite_covers_every_type_and_protocol(local_specs) -> None:
    assert {s.type for s in local_specs} == set(TYPE_MARKERS)
    assert {s.protocol for s in local_specs} == set(PROTOCOLS)
    for spec in local_specs:
        assert spec.markers == ("mieb_local",)
        assert spec.dataset.revision == LOCAL_REVISION
        assert spec.dataset.path.split("/")[1] in DATASETS


EXPECTED = {
    "linear_probe": ClassificationData,
    "multilabel_probe": ClassificationData,
    "kmeans_clustering": ClusteringData,
    "zero_shot": ZeroShotData,
    "retrieval": RetrievalData,
    "multiple_choice": RetrievalData,
    "image_text_pair_matching": PairMatchingData,
    "visual_sts": STSData,
    "aggregate_of_visual_sts": STSData,
}


def first_image(data) -> object:
    if isinstance(data, ClassificationData | ClusteringData | ZeroShotData):
        return data.test.inputs.images[0]
    if isinstance(data, RetrievalData):
        subset = next(iter(data.subsets.values()))
        side = subset.corpus if subset.corpus.images is not None else subset.queries
        return side.images[0]
    if isinstance(data, PairMatchingData):
        return data.image_columns[0].images[0]
    return next(iter(data.subsets.values())).first.images[0]


def test_every_local_task_loads_through_the_mirror_path(local_root: Path, local_specs) -> None:
    for spec in local_specs:
        data = load_task_data(spec, data_dir=local_root)
        assert isinstance(data, EXPECTED[spec.protocol]), spec.name
        assert first_image(data).mode == "RGB", spec.name
        if isinstance(data, RetrievalData):
            assert set(data.subsets) == set(spec.subsets), spec.name
            for subset in data.subsets.values():
                assert subset.query_ids and subset.corpus_ids, spec.name
                assert set(subset.qrels) == set(subset.query_ids), spec.name
                judged = {d for docs in subset.qrels.values() for d in docs}
                assert judged <= set(subset.corpus_ids), spec.name
                if spec.protocol == "multiple_choice":
                    assert subset.candidates is not None, spec.name


def test_local_tasks_have_the_intended_contents(local_root: Path, local_specs) -> None:
    by_name = {s.name: s for s in local_specs}
    zero_shot = load_task_data(by_name["LocalDigitsZeroShot"], data_dir=local_root)
    assert zero_shot.candidates.texts[3] == "a photo of the digit three."
    assert sorted(set(zero_shot.test.labels)) == list(range(10))
    t2i = load_task_data(by_name["LocalScenesT2IRetrieval"], data_dir=local_root)
    assert len(t2i.subsets["default"].query_ids) == 20  # the two unjudged queries dropped
    i2i = load_task_data(by_name["LocalScenesI2IRetrieval"], data_dir=local_root)
    subset = i2i.subsets["default"]
    assert set(subset.query_ids) <= set(subset.corpus_ids)  # skip_first_result removes them
    assert all(q not in docs for q, docs in subset.qrels.items())
    sts = load_task_data(by_name["LocalRenderedSTSMultilingual"], data_dir=local_root)
    assert list(sts.subsets) == ["en", "de"]
    scores = sts.subsets["en"].scores
    assert min(scores) >= 0 and max(scores) <= 5 and len(set(scores)) > 3


def test_local_tasks_load_with_a_limit(local_root: Path, local_specs) -> None:
    for spec in local_specs:
        data = load_task_data(spec, data_dir=local_root, limit=4)
        if isinstance(data, ClassificationData | ClusteringData | ZeroShotData):
            assert len(data.test.labels) == 4, spec.name
        elif isinstance(data, RetrievalData):
            assert all(len(s.query_ids) <= 4 for s in data.subsets.values()), spec.name
        elif isinstance(data, PairMatchingData):
            assert {len(c) for c in (*data.image_columns, *data.text_columns)} == {4}, spec.name
        else:
            assert all(len(p.scores) == 4 for p in data.subsets.values()), spec.name


def test_a_copy_finished_concurrently_is_kept(tmp_path: Path) -> None:
    from pytest_mieb.data.local.layout import build_atomically

    target = tmp_path / "org" / "name"

    def racing_build(scratch: Path) -> None:
        (scratch / "mine.txt").write_text("mine")
        target.mkdir(parents=True)  # another worker completes meanwhile
        (target / "theirs.txt").write_text("theirs")
        (target / ".marker").write_text("v1\n")

    assert build_atomically(target, ".marker", "v1", racing_build) is False
    assert sorted(p.name for p in target.iterdir()) == [".marker", "theirs.txt"]
    assert [p.name for p in target.parent.iterdir()] == ["name"]  # no scratch left behind
    assert build_atomically(target, ".marker", "v1", racing_build) is False
