"""Result files: mteb's layout and key order, rounding, strict JSON (null), limited runs,
atomic writes."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from pytest_mieb.results import files as res
from pytest_mieb.results.files import TaskResult
from pytest_mieb.tasks.spec import DatasetRef, TaskSpec

MTEB_TOP_LEVEL_KEYS = [
    "dataset_revision",
    "task_name",
    "mteb_version",
    "scores",
    "evaluation_time",
    "kg_co2_emissions",
    "date",
    "evaluation_phases",
]


def make_result(**overrides) -> TaskResult:
    fields = dict(
        task_name="XM3600T2IRetrieval",
        scores={
            "de": {"ndcg_at_10": 0.123456789, "recall_at_1": 0.5, "main_score": 0.123456789},
            "fr": {"ndcg_at_10": math.nan, "recall_at_1": 0.25, "main_score": math.nan},
        },
        model_name="org/My Model",
        model_revision="abc123",
        task_type="Any2AnyMultilingualRetrieval",
        main_score_name="ndcg_at_10",
        dataset_revision="d0e1f2",
        eval_split="test",
        evaluation_time=12.5,
        languages={"de": ["deu-Latn"], "fr": ["fra-Latn"]},
        date=1_700_000_000.25,
    )
    fields.update(overrides)
    return TaskResult(**fields)


def test_model_and_revision_folder_names_follow_mteb() -> None:
    assert res.model_name_as_path("openai/clip-vit-base-patch32") == "openai__clip-vit-base-patch32"
    assert res.model_name_as_path("org/My Model") == "org__My_Model"
    assert res.model_name_as_path(None) == "no_model_name__available"
    path = res.result_path("out", "a/b", None, "CIFAR10")
    assert path == Path("out/a__b/no_revision_available/CIFAR10.json")


def test_written_file_has_mteb_keys_in_order_and_subset_dicts_in_mteb_shape(tmp_path) -> None:
    path = res.write_result(make_result(), tmp_path)
    assert path == tmp_path / "org__My_Model" / "abc123" / "XM3600T2IRetrieval.json"
    data = json.loads(path.read_text())
    assert list(data) == [*MTEB_TOP_LEVEL_KEYS, "pytest_mieb"]
    assert data["mteb_version"] == "pytest-mieb 0.1.0"
    assert data["kg_co2_emissions"] is None and data["evaluation_phases"] is None
    assert data["date"] == 1_700_000_000.25
    german, french = data["scores"]["test"]
    assert list(german) == [
        "ndcg_at_10",
        "recall_at_1",
        "main_score",
        "hf_subset",
        "languages",
        "mteb_version",
    ]
    assert german["hf_subset"] == "de" and german["languages"] == ["deu-Latn"]
    assert french["hf_subset"] == "fr"
    assert data["pytest_mieb"] == {
        "version": "0.1.0",
        "model_name": "org/My Model",
        "model_revision": "abc123",
        "task_type": "Any2AnyMultilingualRetrieval",
        "main_score_name": "ndcg_at_10",
        "limit": None,
    }


def test_scores_are_rounded_to_six_decimals_everywhere_inside_scores(tmp_path) -> None:
    per_experiment = [{"accuracy": 0.1111114999}, {"accuracy": 0.3333336}]
    result = make_result(
        scores={
            "default": {
                "accuracy": 0.98765432,
                "scores_per_experiment": per_experiment,
                "ap": None,
                "main_score": 0.98765432,
            }
        },
        languages={},
        evaluation_time=1.23456789,
    )
    data = json.loads(res.write_result(result, tmp_path).read_text())
    (entry,) = data["scores"]["test"]
    assert entry["accuracy"] == 0.987654 and entry["main_score"] == 0.987654
    assert entry["scores_per_experiment"] == [{"accuracy": 0.111111}, {"accuracy": 0.333334}]
    assert entry["ap"] is None
    assert data["evaluation_time"] == 1.23456789  # not a score: kept as measured


def strict_json(text: str) -> object:
    """Parse as strict JSON parsers (JavaScript, jq) do: no NaN / Infinity tokens."""

    def refuse(token: str) -> None:
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def test_undefined_values_are_written_as_null_and_read_back_as_undefined(tmp_path) -> None:
    result = make_result(
        evaluation_time=math.nan,
        scores={
            "de": {"main_score": 0.5, "ndcg_at_10": 0.5, "ratio": math.inf},
            "fr": {"ndcg_at_10": math.nan, "main_score": math.nan, "curve": [0.5, -math.inf]},
        },
    )
    path = res.write_result(result, tmp_path)
    data = strict_json(path.read_text())
    de, fr = data["scores"]["test"]
    assert fr["main_score"] is None and fr["ndcg_at_10"] is None and de["ratio"] is None
    assert fr["curve"] == [0.5, None] and data["evaluation_time"] is None
    loaded = res.load_result(path)
    assert loaded.scores["fr"]["main_score"] is None
    assert math.isnan(loaded.metric("main_score", subsets=["fr"]))  # a float is expected: NaN
    assert math.isnan(loaded.main_score) and loaded.evaluation_time is None
    assert loaded.metric("main_score", subsets=["de"]) == 0.5


def test_old_files_with_bare_nan_tokens_still_read(tmp_path) -> None:
    path = res.write_result(make_result(), tmp_path)
    text = path.read_text().replace('"main_score": null', '"main_score": NaN')
    path.write_text(text.replace('"evaluation_time": 12.5', '"evaluation_time": NaN'))
    loaded = res.load_result(path)
    assert math.isnan(loaded.scores["fr"]["main_score"])
    assert math.isnan(loaded.main_score) and math.isnan(loaded.evaluation_time)
    assert loaded.metric("main_score", subsets=["de"]) == 0.123457


def test_writing_a_nan_outside_the_scores_is_refused_not_written(tmp_path) -> None:
    with pytest.raises(ValueError):
        res.write_json_atomic(tmp_path / "x.json", {"a": math.nan})
    assert not (tmp_path / "x.json").exists()


def test_round_trip_restores_every_field(tmp_path) -> None:
    original = make_result()
    loaded = res.load_result(res.write_result(original, tmp_path))
    assert loaded.task_name == original.task_name
    assert loaded.model_name == "org/My Model" and loaded.model_revision == "abc123"
    assert loaded.task_type == original.task_type
    assert loaded.main_score_name == "ndcg_at_10"
    assert loaded.dataset_revision == "d0e1f2" and loaded.eval_split == "test"
    assert loaded.evaluation_time == 12.5 and loaded.date == original.date
    assert loaded.languages == {"de": ["deu-Latn"], "fr": ["fra-Latn"]}
    assert loaded.limit is None and not loaded.limited
    assert loaded.scores["de"] == {
        "ndcg_at_10": 0.123457,
        "recall_at_1": 0.5,
        "main_score": 0.123457,
    }
    assert loaded.source == str(tmp_path / "org__My_Model" / "abc123" / "XM3600T2IRetrieval.json")
    # writing the loaded result again gives the same bytes: rounding is idempotent
    again = tmp_path / "again"
    assert (
        res.write_result(loaded, again).read_bytes()
        == res.path_for(original, tmp_path).read_bytes()
    )


def test_task_score_is_the_mean_of_main_score_over_subsets() -> None:
    result = make_result(
        scores={"a": {"main_score": 0.2, "x": 1.0}, "b": {"main_score": 0.5, "x": 0.0}}
    )
    assert result.main_score == pytest.approx(0.35)
    assert result.metric("x") == pytest.approx(0.5)
    assert result.metric("x", subsets=["a"]) == 1.0
    assert math.isnan(result.metric("missing"))
    assert math.isnan(make_result().main_score)  # one subset is NaN


def test_limited_runs_go_to_their_own_folder_and_are_flagged(tmp_path) -> None:
    full = make_result()
    limited = make_result(limit=50, scores={"de": {"main_score": 0.9}}, languages={})
    full_path = res.write_result(full, tmp_path)
    limited_path = res.write_result(limited, tmp_path)
    assert limited_path == full_path.parent / "limit-50" / "XM3600T2IRetrieval.json"
    assert json.loads(limited_path.read_text())["pytest_mieb"]["limit"] == 50
    loaded = res.load_result(limited_path)
    assert loaded.limited and loaded.limit == 50
    assert not res.load_result(full_path).limited  # the full result is still there, unflagged
    assert res.has_result(tmp_path, "org/My Model", "abc123", "XM3600T2IRetrieval", limit=50)
    assert not res.has_result(tmp_path, "org/My Model", "abc123", "XM3600T2IRetrieval", limit=10)


def test_has_result_requires_a_readable_result_file(tmp_path) -> None:
    args = (tmp_path, "m/x", "r1", "CIFAR10")
    assert not res.has_result(*args)
    path = res.result_path(*args)
    path.parent.mkdir(parents=True)
    path.write_text('{"task_name": "CIFAR10", "scores": {"test": [')  # truncated
    assert not res.has_result(*args)
    res.write_result(
        make_result(task_name="CIFAR10", model_name="m/x", model_revision="r1"), tmp_path
    )
    assert res.has_result(*args)


def _files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_crash_while_serialising_leaves_the_previous_file_whole(tmp_path) -> None:
    good = make_result()
    path = res.write_result(good, tmp_path)
    before = path.read_bytes()
    # json.dump streams: "dataset_revision", "task_name", ... are already written when it
    # reaches the unserialisable value inside scores and raises.
    broken = make_result(scores={"de": {"main_score": 0.1, "weird": object()}})
    with pytest.raises(TypeError):
        res.write_result(broken, tmp_path)
    assert path.read_bytes() == before
    assert _files_in(path.parent) == ["XM3600T2IRetrieval.json"]  # no temp file left


def test_a_crash_before_the_rename_leaves_no_file_at_all(tmp_path, monkeypatch) -> None:
    written: list[str] = []

    def failing_replace(src, dst):
        written.append(Path(src).read_text())
        raise OSError("disk gone")

    monkeypatch.setattr(res.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk gone"):
        res.write_result(make_result(), tmp_path)
    assert written and written[0].startswith("{")  # the temp file was complete
    folder = tmp_path / "org__My_Model" / "abc123"
    assert _files_in(folder) == []


def _write_mteb_style(path: Path, scores: dict, task: str = "CIFAR10") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "dataset_revision": "rev",
                "task_name": task,
                "mteb_version": "2.26.24",
                "scores": scores,
                "evaluation_time": 3.0,
                "kg_co2_emissions": None,
            }
        )
    )


def test_reads_mteb_files_with_identity_from_model_meta_or_the_path(tmp_path) -> None:
    entry = {"accuracy": 0.9, "main_score": 0.9, "hf_subset": "default", "languages": ["eng-Latn"]}
    folder = tmp_path / "openai__clip-vit-base-patch32" / "3d74acf9"
    _write_mteb_style(folder / "CIFAR10.json", {"test": [entry]})
    from_path = res.load_result(folder / "CIFAR10.json")
    assert from_path.model_name == "openai/clip-vit-base-patch32"
    assert from_path.model_revision == "3d74acf9"
    assert from_path.mteb_version == "2.26.24" and from_path.main_score == 0.9
    (folder / "model_meta.json").write_text(json.dumps({"name": "real/name", "revision": "full"}))
    from_meta = res.load_result(folder / "CIFAR10.json")
    assert (from_meta.model_name, from_meta.model_revision) == ("real/name", "full")


def test_several_splits_read_test_unless_told_otherwise(tmp_path) -> None:
    dev = {"main_score": 0.1, "hf_subset": "default"}
    test = {"main_score": 0.2, "hf_subset": "default"}
    path = tmp_path / "m" / "r" / "STS.json"
    _write_mteb_style(path, {"dev": [dev], "test": [test]}, task="STS")
    assert res.load_result(path).main_score == 0.2
    assert res.load_result(path, split="dev").main_score == 0.1
    with pytest.raises(ValueError, match="no split 'train'"):
        res.load_result(path, split="train")


def test_iter_results_walks_folders_and_skips_what_is_not_a_result(tmp_path) -> None:
    res.write_result(make_result(task_name="A"), tmp_path / "run1")
    res.write_result(make_result(task_name="B", limit=5), tmp_path / "run1")
    res.write_result(make_result(task_name="C", model_name="other"), tmp_path / "run2")
    meta = tmp_path / "run1" / "org__My_Model" / "abc123" / "model_meta.json"
    meta.write_text(json.dumps({"name": "org/My Model"}))
    (meta.parent / "A_predictions.json").write_text("{}")
    (tmp_path / "run2" / "notes.json").write_text(json.dumps({"hello": 1}))
    found = list(res.iter_results([tmp_path / "run1", tmp_path / "run2"]))
    assert sorted((r.task_name, r.limit) for r in found) == [("A", None), ("B", 5), ("C", None)]
    single = res.path_for(make_result(task_name="A"), tmp_path / "run1")
    assert [r.task_name for r in res.iter_results(single)] == ["A"]
    with pytest.raises(ValueError, match="not a task result"):
        list(res.iter_results(tmp_path / "run2", strict=True))
    with pytest.raises(FileNotFoundError):
        list(res.iter_results(tmp_path / "nowhere"))


def test_from_evaluation_takes_identity_and_languages_from_the_spec() -> None:
    spec = TaskSpec(
        name="WITT2IRetrieval",
        type="Any2AnyMultilingualRetrieval",
        protocol="retrieval",
        dataset=DatasetRef("org/wit", "r123"),
        eval_split="test",
        main_score="ndcg_at_10",
        subsets=("de", "fr"),
        languages={"de": ("deu-Latn",), "fr": ("fra-Latn",)},
    )
    scores = {"de": {"ndcg_at_10": 0.4, "main_score": 0.4}, "default": {"main_score": 0.3}}
    result = TaskResult.from_evaluation(
        spec, scores, model_name="m", model_revision=None, evaluation_time=2.0, limit=7, date=5.0
    )
    assert result.task_type == "Any2AnyMultilingualRetrieval"
    assert result.main_score_name == "ndcg_at_10" and result.dataset_revision == "r123"
    assert result.model_revision == "no_revision_available"
    assert result.languages == {"de": ["deu-Latn"], "default": ["deu-Latn", "fra-Latn"]}
    assert result.limit == 7 and result.date == 5.0


def test_numpy_values_are_written_as_plain_json_numbers(tmp_path) -> None:
    np = pytest.importorskip("numpy")
    result = make_result(
        scores={
            "default": {
                "accuracy": np.float32(0.5),
                "n": np.int64(3),
                "per_class": np.array([0.1234567, 1.0]),
                "main_score": np.float64(0.5),
            }
        },
        languages={},
        evaluation_time=np.float32(2.5),
    )
    data = json.loads(res.write_result(result, tmp_path).read_text())
    (entry,) = data["scores"]["test"]
    assert entry["accuracy"] == 0.5 and entry["n"] == 3 and entry["main_score"] == 0.5
    assert entry["per_class"] == [0.123457, 1.0]
    assert data["evaluation_time"] == 2.5
    assert os.listdir(res.path_for(result, tmp_path).parent) == ["XM3600T2IRetrieval.json"]


def test_written_files_get_the_usual_permissions_not_the_temp_files_0600(tmp_path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    path = res.write_result(make_result(), tmp_path)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_json_form_round_trips_in_memory_for_transport_between_workers() -> None:
    original = make_result(limit=3)
    payload = json.loads(json.dumps(res.result_to_json(original)))
    back = res.result_from_json(payload)
    assert back.identity == original.identity
    assert back.scores["de"]["main_score"] == 0.123457
    assert back.task_type == original.task_type and back.languages == original.languages


@pytest.mark.parametrize(
    ("protocol", "recorded"),
    [
        ("linear_probe", True),  # LogisticRegression(max_iter=100): version-dependent fit
        ("multilabel_probe", True),
        ("kmeans_clustering", True),
        ("retrieval", False),
        ("zero_shot", False),
    ],
)
def test_the_scikit_learn_version_is_recorded_where_a_fitted_estimator_decides(
    tmp_path, protocol: str, recorded: bool
) -> None:
    import sklearn

    spec = TaskSpec(
        name="T",
        type="ImageClassification",
        protocol=protocol,
        dataset=DatasetRef("org/t", "r1"),
        eval_split="test",
        main_score="accuracy",
    )
    result = TaskResult.from_evaluation(
        spec, {"default": {"main_score": 0.5}}, model_name="m", model_revision="r",
        evaluation_time=1.0,
    )  # fmt: skip
    data = json.loads(res.write_result(result, tmp_path).read_text())
    loaded = res.load_result(res.path_for(result, tmp_path))
    if recorded:
        assert data["pytest_mieb"]["library_versions"] == {"scikit-learn": sklearn.__version__}
        assert loaded.library_versions == {"scikit-learn": sklearn.__version__}
    else:
        assert "library_versions" not in data["pytest_mieb"]
        assert loaded.library_versions == {}
