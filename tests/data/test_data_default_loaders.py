"""The `default` and `sts_subsets` loaders read hub-layout mirrors into the containers."""

from __future__ import annotations

from pathlib import Path

import pytest
from data_layouts import (
    REVISION,
    cell,
    configs_repo,
    default_repo,
    encoded,
    make_spec,
    solid,
    wds_repo,
)
from datasets import ClassLabel, Features, Image, Sequence, Value

from pytest_mieb.data import load_task_data
from pytest_mieb.data.containers import (
    ClassificationData,
    ClusteringData,
    PairMatchingData,
    STSData,
    ZeroShotData,
)
from pytest_mieb.tasks.spec import DatasetRef

CIFAR = DatasetRef("test-org/cifar", REVISION)
NAMES = ["airplane", "automobile", "bird"]


def cifar_like(root: Path) -> None:
    """img (mode L) + label (ClassLabel) like mteb/cifar10, train and test splits."""
    features = Features({"img": Image(), "label": ClassLabel(names=NAMES)})
    default_repo(
        root / CIFAR.path,
        {
            "train": (
                {
                    "img": [cell(solid(10 + i, "L")) for i in range(9)],
                    "label": [i % 3 for i in range(9)],
                },
                features,
            ),
            "test": (
                {"img": [cell(solid(100 + i, "L")) for i in range(6)], "label": [2, 0, 1, 1, 0, 2]},
                features,
            ),
        },
    )


def pixel(image) -> int:
    return image.getpixel((0, 0))[0]


def test_classification_reads_both_splits_lazily_as_rgb(data_dir: Path) -> None:
    cifar_like(data_dir)
    spec = make_spec(dataset=CIFAR, train_split="train", columns={"image": "img", "label": "label"})
    data = load_task_data(spec, data_dir=data_dir)
    assert isinstance(data, ClassificationData)
    assert list(data.train.labels) == [0, 1, 2, 0, 1, 2, 0, 1, 2]
    assert list(data.test.labels) == [2, 0, 1, 1, 0, 2]
    assert data.train.inputs.key == f"test-org/cifar@{REVISION}/default/train/img"
    assert data.test.inputs.kind == "image"
    image = data.test.inputs.images[3]
    assert image.mode == "RGB"  # stored as L, converted once in the data layer
    assert pixel(image) == 103
    assert [pixel(x) for x in data.test.inputs.images[1:3]] == [101, 102]


def test_train_split_is_kept_whole_for_drop_train_rows(data_dir: Path) -> None:
    """The evaluator applies drop_train_rows to the full split, so the loader must not."""
    cifar_like(data_dir)
    spec = make_spec(
        dataset=CIFAR,
        train_split="train",
        columns={"image": "img", "label": "label"},
        params={"drop_train_rows": [4]},
    )
    data = load_task_data(spec, data_dir=data_dir, limit=3)
    assert len(data.train.inputs) == 9
    assert len(data.test.inputs) == 3


def test_tasks_sharing_a_split_share_the_cache_key(data_dir: Path) -> None:
    cifar_like(data_dir)
    columns = {"image": "img", "label": "label"}
    probe = load_task_data(
        make_spec(dataset=CIFAR, train_split="train", columns=columns), data_dir=data_dir
    )
    clusters = load_task_data(
        make_spec(dataset=CIFAR, protocol="kmeans_clustering", columns=columns), data_dir=data_dir
    )
    zero_shot = load_task_data(
        make_spec(
            dataset=CIFAR,
            protocol="zero_shot",
            columns=columns,
            params={"candidate_label_template": "a photo of a {name}."},
        ),
        data_dir=data_dir,
    )
    assert isinstance(clusters, ClusteringData)
    assert isinstance(zero_shot, ZeroShotData)
    assert probe.test.inputs.key == clusters.test.inputs.key == zero_shot.test.inputs.key
    assert list(clusters.test.labels) == [2, 0, 1, 1, 0, 2]


def test_zero_shot_candidates_follow_class_label_order(data_dir: Path) -> None:
    cifar_like(data_dir)
    spec = make_spec(
        dataset=CIFAR,
        protocol="zero_shot",
        columns={"image": "img", "label": "label"},
        params={"candidate_label_template": "a photo of a {name}."},
    )
    data = load_task_data(spec, data_dir=data_dir)
    assert data.candidates.texts == [
        "a photo of a airplane.",
        "a photo of a automobile.",
        "a photo of a bird.",
    ]
    assert list(data.test.labels) == [2, 0, 1, 1, 0, 2]


def test_zero_shot_sun397_names_are_transformed(data_dir: Path) -> None:
    ref = DatasetRef("test-org/sun", REVISION)
    names = ["/a/abbey", "/c/church/outdoor", "/b/boat_deck"]
    features = Features({"image": Image(), "label": ClassLabel(names=names)})
    default_repo(
        data_dir / ref.path,
        {"test": ({"image": [cell(solid(1))] * 3, "label": [0, 1, 2]}, features)},
    )
    spec = make_spec(
        dataset=ref,
        protocol="zero_shot",
        params={
            "candidate_label_template": "a photo of a {name}.",
            "class_name_transform": "sun397",
        },
    )
    data = load_task_data(spec, data_dir=data_dir)
    assert data.candidates.texts == [
        "a photo of a abbey.",
        "a photo of a church outdoor.",
        "a photo of a boat deck.",
    ]


def test_zero_shot_string_labels_match_fixed_candidates(data_dir: Path) -> None:
    ref = DatasetRef("test-org/strings", REVISION)
    features = Features({"image": Image(), "label": Value("string")})
    default_repo(
        data_dir / ref.path,
        {"test": ({"image": [cell(solid(1))] * 3, "label": ["yes.", "no.", "yes."]}, features)},
    )
    spec = make_spec(
        dataset=ref, protocol="zero_shot", params={"candidate_labels": ["no.", "yes."]}
    )
    data = load_task_data(spec, data_dir=data_dir)
    assert list(data.test.labels) == [1, 0, 1]
    assert data.candidates.texts == ["no.", "yes."]


def test_webdataset_shards_read_by_extension_columns(data_dir: Path) -> None:
    """mteb/wds_* layout: tar shards per split, image in `webp`, class id in `cls`."""
    ref = DatasetRef("test-org/wds_gtsrb", REVISION)
    wds_repo(
        data_dir / ref.path,
        {
            "train": [
                {"webp": encoded(solid(20 + k), "WEBP"), "cls": b"%d" % (k % 2)} for k in range(4)
            ],
            "test": [
                {"webp": encoded(solid(60 + k), "WEBP"), "cls": b"%d" % (1 - k % 2)}
                for k in range(3)
            ],
        },
    )
    probe = load_task_data(
        make_spec(dataset=ref, train_split="train", columns={"image": "webp", "label": "cls"}),
        data_dir=data_dir,
    )
    assert list(probe.train.labels) == [0, 1, 0, 1]
    assert list(probe.test.labels) == [1, 0, 1]
    assert probe.test.inputs.images[0].mode == "RGB"
    zero_shot = load_task_data(
        make_spec(
            dataset=ref,
            protocol="zero_shot",
            columns={"image": "webp", "label": "cls"},
            params={"candidate_labels": ["a stop sign.", "a yield sign."]},
        ),
        data_dir=data_dir,
    )
    assert zero_shot.test.inputs.key == probe.test.inputs.key
    assert len(zero_shot.test.inputs.images) == 3


def test_multilabel_probe_reads_label_lists(data_dir: Path) -> None:
    ref = DatasetRef("test-org/voc", REVISION)
    features = Features({"image": Image(), "classes": Sequence(ClassLabel(names=["a", "b", "c"]))})
    default_repo(
        data_dir / ref.path,
        {
            "train": ({"image": [cell(solid(1))] * 2, "classes": [[0, 2], [1]]}, features),
            "test": ({"image": [cell(solid(2))] * 2, "classes": [[2], [0, 1]]}, features),
        },
    )
    spec = make_spec(
        dataset=ref,
        protocol="multilabel_probe",
        train_split="train",
        columns={"image": "image", "labels": "classes"},
        main_score="lrap",
    )
    data = load_task_data(spec, data_dir=data_dir)
    assert [list(x) for x in data.train.labels] == [[0, 2], [1]]
    assert [list(x) for x in data.test.labels] == [[2], [0, 1]]


def test_compositionality_columns_and_source_split(data_dir: Path) -> None:
    """SugarCrepe-like: the repo's train split is read as the eval split."""
    ref = DatasetRef("test-org/sugarcrepe", REVISION)
    features = Features(
        {"images": Image(), "caption": Value("string"), "negative_caption": Value("string")}
    )
    default_repo(
        data_dir / ref.path,
        {
            "train": (
                {
                    "images": [cell(solid(5)), cell(solid(6, "RGBA"))],
                    "caption": ["a cat", "a dog"],
                    "negative_caption": ["no cat", "no dog"],
                },
                features,
            )
        },
    )
    spec = make_spec(
        dataset=ref,
        type="Compositionality",
        protocol="image_text_pair_matching",
        main_score="text_acc",
        columns={"image_columns": ["images"], "text_columns": ["caption", "negative_caption"]},
        params={"source_split": "train"},
    )
    data = load_task_data(spec, data_dir=data_dir)
    assert isinstance(data, PairMatchingData)
    assert len(data.image_columns) == 1
    assert [t.texts for t in data.text_columns] == [["a cat", "a dog"], ["no cat", "no dog"]]
    assert data.image_columns[0].images[1].mode == "RGB"
    assert data.image_columns[0].key.endswith("/default/train/images")


def sts_table(first: int, scores: list[float]):
    features = Features({"sentence1": Image(), "sentence2": Image(), "score": Value("float64")})
    return (
        {
            "sentence1": [cell(solid(first + i)) for i in range(len(scores))],
            "sentence2": [cell(solid(first + 50 + i)) for i in range(len(scores))],
            "score": scores,
        },
        features,
    )


def test_visual_sts_pairs(data_dir: Path) -> None:
    ref = DatasetRef("test-org/rendered-sts12", REVISION)
    default_repo(data_dir / ref.path, {"test": sts_table(10, [0.5, 4.0, 2.5])})
    spec = make_spec(
        dataset=ref,
        type="VisualSTS(eng)",
        protocol="visual_sts",
        main_score="cosine_spearman",
        columns={"image1": "sentence1", "image2": "sentence2", "score": "score"},
    )
    data = load_task_data(spec, data_dir=data_dir)
    assert isinstance(data, STSData)
    pairs = data.subsets["default"]
    assert list(pairs.scores) == [0.5, 4.0, 2.5]
    assert pixel(pairs.first.images[1]) == 11
    assert pixel(pairs.second.images[2]) == 62


def write_sts17(data_dir: Path) -> DatasetRef:
    ref = DatasetRef("test-org/rendered-sts17", REVISION)
    configs_repo(
        data_dir / ref.path,
        {
            "en-en": {"test": sts_table(10, [1.0, 2.0])},
            "ko-ko": {"test": sts_table(20, [3.0, 4.0, 5.0])},
            "ar-ar": {"test": sts_table(30, [0.0])},
        },
    )
    return ref


def test_sts_aggregate_loads_only_the_used_subsets(data_dir: Path) -> None:
    ref = write_sts17(data_dir)
    spec = make_spec(
        dataset=DatasetRef("aggregate tasks do not have a path", "1"),
        type="VisualSTS(multi)",
        protocol="aggregate_of_visual_sts",
        loader="sts_subsets",
        main_score="cosine_spearman",
        params={
            "subtasks": [
                {
                    "name": "STS17MultilingualVisualSTS",
                    "hf_subsets_used": ["ko-ko", "ar-ar"],
                    "eval_split": "test",
                    "dataset": {"path": ref.path, "revision": ref.revision},
                    "columns": {"image1": "sentence1", "image2": "sentence2", "score": "score"},
                }
            ]
        },
    )
    data = load_task_data(spec, data_dir=data_dir)
    assert list(data.subsets) == ["ko-ko", "ar-ar"]
    assert list(data.subsets["ko-ko"].scores) == [3.0, 4.0, 5.0]
    assert data.subsets["ar-ar"].first.key == f"{ref}/ar-ar/test/sentence1"


def test_multi_subset_sts_task_reads_its_own_subsets(data_dir: Path) -> None:
    ref = write_sts17(data_dir)
    spec = make_spec(
        dataset=ref,
        type="VisualSTS(multi)",
        protocol="visual_sts",
        loader="sts_subsets",
        main_score="cosine_spearman",
        subsets=("en-en", "ar-ar"),
        columns={"image1": "sentence1", "image2": "sentence2", "score": "score"},
    )
    data = load_task_data(spec, data_dir=data_dir)
    assert {k: list(v.scores) for k, v in data.subsets.items()} == {
        "en-en": [1.0, 2.0],
        "ar-ar": [0.0],
    }


def test_unknown_sts_subset_names_the_config(data_dir: Path) -> None:
    from pytest_mieb.data import DataError

    ref = write_sts17(data_dir)
    spec = make_spec(
        dataset=ref,
        protocol="visual_sts",
        loader="sts_subsets",
        subsets=("en-en", "xx-xx"),
    )
    with pytest.raises(DataError, match=r"xx-xx") as info:
        load_task_data(spec, data_dir=data_dir)
    assert REVISION in str(info.value)


def birdsnap_repo(root: Path, n_train: int) -> None:
    features = Features({"image": Image(), "common": ClassLabel(names=["Acadian", "Acorn"])})
    one_pixel = cell(solid(1, size=(1, 1)))

    def table(n: int):
        return {"image": [one_pixel] * n, "common": [i % 2 for i in range(n)]}, features

    default_repo(root, {"train": table(n_train), "test": table(4)})


class _NeverEmbeds:
    similarity = "cosine"
    device = "cpu"

    def embed(self, inputs, *, prompt_type=None):
        raise AssertionError("a refused task must not reach the model")


def test_birdsnap_refuses_a_train_split_without_its_row_3854(data_dir: Path) -> None:
    """mteb drops train row 3854 by position (a no-op on a shorter split); the pinned
    revision has the row, so a split of at most 3854 rows is not that revision: refused."""
    from pytest_mieb.run import evaluate_task
    from pytest_mieb.tasks.index import load_all_specs

    spec = load_all_specs()["Birdsnap"]
    assert spec.params["drop_train_rows"] == [3854]
    birdsnap_repo(data_dir / spec.dataset.path, n_train=3854)
    with pytest.raises(ValueError, match=r"Birdsnap: drop_train_rows \[3854\] outside the train"):
        evaluate_task(spec, _NeverEmbeds(), data_dir=data_dir)
