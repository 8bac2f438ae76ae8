"""Every data failure is one clear `DataError` (or `CorruptImageError`) line."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from data_layouts import REVISION, cell, configs_repo, default_repo, encoded, make_spec, solid
from datasets import ClassLabel, Features, Image, Value

from pytest_mieb.data import CorruptImageError, DataError, load_task_data
from pytest_mieb.data.source import REVISION_MARKER, clear_cache, open_source
from pytest_mieb.tasks.spec import DatasetRef

REF = DatasetRef("test-org/cifar", REVISION)


def labelled_repo(root: Path, image_column: str = "img", test_images=None) -> None:
    features = Features({image_column: Image(), "label": ClassLabel(names=["a", "b"])})
    images = test_images or [cell(solid(1)), cell(solid(2))]
    table = ({image_column: images, "label": [i % 2 for i in range(len(images))]}, features)
    default_repo(root / REF.path, {"train": table, "test": table})


def probe_spec(**overrides):
    fields = {"dataset": REF, "train_split": "train", "columns": {"image": "img", "label": "label"}}
    fields.update(overrides)
    return make_spec(**fields)


def test_missing_column_names_dataset_revision_and_column(data_dir: Path) -> None:
    labelled_repo(data_dir, image_column="image")
    with pytest.raises(DataError) as info:
        load_task_data(probe_spec(), data_dir=data_dir)
    message = str(info.value)
    assert "test-org/cifar" in message and REVISION in message
    assert "'img'" in message and "has: image, label" in message
    assert "\n" not in message
    # one message for every missing thing: both splits lack the column
    assert "'train'" in message and "'test'" in message


def test_missing_split_is_named(data_dir: Path) -> None:
    labelled_repo(data_dir)
    with pytest.raises(DataError, match=r"split 'validation' is missing \(has: train, test\)"):
        load_task_data(probe_spec(eval_split="validation"), data_dir=data_dir)


def test_missing_beir_config_is_named(data_dir: Path) -> None:
    ref = DatasetRef("test-org/beir", REVISION)
    table = (
        {"id": ["d"], "text": ["t"]},
        Features({"id": Value("string"), "text": Value("string")}),
    )
    configs_repo(data_dir / ref.path, {"corpus": {"test": table}, "queries": {"test": table}})
    spec = make_spec(dataset=ref, protocol="retrieval", loader="beir", category="t2t")
    with pytest.raises(DataError, match=r"missing config\(s\) 'default'") as info:
        load_task_data(spec, data_dir=data_dir)
    assert REVISION in str(info.value)


def test_no_mirror_and_offline_hub_names_the_remedies(data_dir: Path) -> None:
    with pytest.raises(DataError) as info:
        load_task_data(probe_spec(), data_dir=data_dir)
    message = str(info.value)
    assert f"test-org/cifar@{REVISION}" in message
    assert str(data_dir / "test-org" / "cifar") in message  # where the mirror was looked for
    assert "--mieb-data-dir" in message
    assert "python -m pytest_mieb download" in message
    assert "HF_HUB_OFFLINE" in message
    assert "\n" not in message


def test_hub_offline_argument_overrides_the_environment(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """hub_offline=True must not try the network even if the environment allows it."""
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    with pytest.raises(DataError, match="offline mode is on") as info:
        load_task_data(probe_spec(), data_dir=None, hub_offline=True)
    assert "no --mieb-data-dir mirror given" in str(info.value)
    assert datasets.config.HF_HUB_OFFLINE is False  # restored after the call


def test_gated_dataset_says_to_request_access_and_set_a_token() -> None:
    spec = make_spec(
        dataset=DatasetRef("facebook/winoground", REVISION, gated=True),
        type="Compositionality",
        protocol="image_text_pair_matching",
        columns={"image_columns": ["image_0"], "text_columns": ["caption_0"]},
    )
    with pytest.raises(DataError) as info:
        load_task_data(spec)
    message = str(info.value)
    assert "facebook/winoground" in message and REVISION in message
    assert "gated" in message
    assert "request access" in message
    assert "HF_TOKEN" in message


def test_mirror_of_another_revision_is_refused(data_dir: Path) -> None:
    labelled_repo(data_dir)
    (data_dir / REF.path / REVISION_MARKER).write_text("f" * 40 + "\n")
    with pytest.raises(DataError, match=f"holds revision {'f' * 40}, not the pinned {REVISION}"):
        load_task_data(probe_spec(), data_dir=data_dir)


def test_snapshot_download_metadata_is_checked_too(data_dir: Path) -> None:
    labelled_repo(data_dir)
    meta = data_dir / REF.path / ".cache" / "huggingface" / "download" / "README.md.metadata"
    meta.parent.mkdir(parents=True)
    meta.write_text("e" * 40 + "\netag\n0\n")
    with pytest.raises(DataError, match=f"holds revision {'e' * 40}"):
        load_task_data(probe_spec(), data_dir=data_dir)
    meta.write_text(REVISION + "\netag\n0\n")
    assert len(load_task_data(probe_spec(), data_dir=data_dir).test.labels) == 2


def test_unknown_loader_lists_the_known_ones() -> None:
    with pytest.raises(DataError, match=r"unknown loader 'nope'.*beir"):
        load_task_data(probe_spec(loader="nope"))


def test_limit_must_be_positive(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="positive"):
        load_task_data(probe_spec(), data_dir=data_dir, limit=0)


def corrupt_repo(data_dir: Path) -> None:
    good = cell(solid(9))
    truncated = {"bytes": encoded(solid(3, size=(40, 40)), "JPEG")[:60], "path": None}
    garbage = {"bytes": b"not an image at all", "path": None}
    labelled_repo(data_dir, test_images=[good, truncated, garbage])


def test_corrupt_images_fail_only_when_read_naming_the_row(data_dir: Path) -> None:
    corrupt_repo(data_dir)
    data = load_task_data(probe_spec(), data_dir=data_dir)  # loading decodes nothing
    images = data.test.inputs.images
    assert images[0].getpixel((0, 0)) == (9, 9, 9)
    for row in (1, 2):
        with pytest.raises(CorruptImageError) as info:
            images[row]
        message = str(info.value)
        assert f"test-org/cifar@{REVISION}" in message
        assert "split 'test'" in message and "column 'img'" in message and f"row {row}" in message
    assert issubclass(CorruptImageError, ValueError)  # callers catching ValueError see it too


def test_corrupt_row_numbers_survive_subsets(data_dir: Path) -> None:
    corrupt_repo(data_dir)
    inputs = load_task_data(probe_spec(), data_dir=data_dir).test.inputs
    picked = inputs.subset([2, 0])
    assert picked.images[1].getpixel((0, 0)) == (9, 9, 9)
    with pytest.raises(CorruptImageError, match="row 2"):
        picked.images[0]


def test_image_columns_pickle_for_dataloader_workers(data_dir: Path) -> None:
    labelled_repo(data_dir, test_images=[cell(solid(4, "P")), cell(solid(5, "RGBA"))])
    images = load_task_data(probe_spec(), data_dir=data_dir).test.inputs.images
    clone = pickle.loads(pickle.dumps(images))
    assert len(clone) == 2
    assert [x.mode for x in clone] == ["RGB", "RGB"]
    assert clone[-1].getpixel((0, 0)) == (5, 5, 5)
    with pytest.raises(IndexError):
        clone[2]


def test_two_mirrors_named_alike_do_not_share_a_cache(tmp_path: Path) -> None:
    """datasets keys its cache of a README-configs folder on the folder name alone; each
    mirror must still read its own files (and a refilled mirror its new files)."""
    features = Features({"id": Value("string")})

    def fill(root: Path, value: str) -> None:
        configs_repo(root / REF.path, {"c": {"test": ({"id": [value]}, features)}})

    def read(root: Path) -> list[str]:
        return open_source(REF, data_dir=root).load("c")["test"]["id"][:]

    fill(tmp_path / "one", "first")
    fill(tmp_path / "two", "second")
    assert read(tmp_path / "one") == ["first"]
    assert read(tmp_path / "two") == ["second"]
    fill(tmp_path / "one", "refilled")
    clear_cache()
    assert read(tmp_path / "one") == ["refilled"]


def test_offline_reads_the_hub_cache_snapshot_of_the_pinned_revision(hf_cache_root: Path) -> None:
    """Offline and without a mirror, a snapshot_download of exactly the pinned revision in
    the Hub cache is read like a mirror."""
    ref = DatasetRef("test-org/cached-only", REVISION)
    snapshot = hf_cache_root / "home" / "hub" / "datasets--test-org--cached-only"
    labelled_at = snapshot / "snapshots" / REVISION
    features = Features({"img": Image(), "label": ClassLabel(names=["a", "b"])})
    table = ({"img": [cell(solid(7))], "label": [1]}, features)
    default_repo(labelled_at, {"train": table, "test": table})
    (snapshot / "refs").mkdir()
    (snapshot / "refs" / "main").write_text(REVISION)
    data = load_task_data(probe_spec(dataset=ref))
    assert list(data.test.labels) == [1]
    assert data.test.inputs.key == f"{ref}/default/test/img"


def test_offline_datasets_cache_of_another_revision_is_refused() -> None:
    from types import SimpleNamespace

    from pytest_mieb.data.source import DataSource

    src = DataSource(REF, REF.path, REF.revision, "datasets cache", offline=True)
    held = "9" * 40
    stale = {
        "test": SimpleNamespace(cache_files=[{"filename": f"/c/x/default/0.0.0/{held}/t.arrow"}])
    }
    with pytest.raises(DataError, match=f"only holds revision {held}"):
        src._refuse_other_revision(stale)
    pinned = {"test": SimpleNamespace(cache_files=[{"filename": f"/c/default/0.0.0/{REVISION}/t"}])}
    src._refuse_other_revision(pinned)
