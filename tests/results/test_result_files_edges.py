"""Result files at their edges: what a strict walk skips, mteb's experiment folders.

Written against mutants the rest of the suite let through (docs/testing.md).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from pytest_mieb.results import files as res
from pytest_mieb.results.files import TaskResult


def mteb_file(path: Path, task: str = "CIFAR10", score: float = 0.9) -> Path:
    """A result file as mteb writes it: no `pytest_mieb` block, identity from the folders."""
    entry = {"accuracy": score, "main_score": score, "hf_subset": "default", "languages": []}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"task_name": task, "scores": {"test": [entry]}}))
    return path


def test_a_strict_walk_skips_model_meta_predictions_and_hidden_files(tmp_path) -> None:
    written = res.write_result(
        TaskResult(task_name="A", scores={"default": {"main_score": 0.5}}, model_name="m"),
        tmp_path,
    )
    folder = written.parent
    (folder / "model_meta.json").write_text(json.dumps({"name": "m", "revision": None}))
    (folder / "A_predictions.json").write_text("[]")
    (folder / ".A.json.tmp.json").write_text("half a fi")
    assert [r.task_name for r in res.iter_results(tmp_path, strict=True)] == ["A"]


def test_mteb_experiment_folders_get_their_own_revision(tmp_path) -> None:
    revision = tmp_path / "org__model" / "rev1"
    plain = res.load_result(mteb_file(revision / "CIFAR10.json"))
    experiment = res.load_result(mteb_file(revision / "experiments" / "exp-a" / "CIFAR10.json"))
    assert (plain.model_name, plain.model_revision) == ("org/model", "rev1")
    assert (experiment.model_name, experiment.model_revision) == (
        "org/model",
        "rev1/experiments/exp-a",
    )
    (revision / "model_meta.json").write_text(json.dumps({"name": "org/Model", "revision": "r"}))
    experiment = res.load_result(revision / "experiments" / "exp-a" / "CIFAR10.json")
    assert (experiment.model_name, experiment.model_revision) == (
        "org/Model",
        "r/experiments/exp-a",
    )


def test_bookkeeping_keys_in_the_scores_are_replaced_and_moved_to_mtebs_places() -> None:
    result = TaskResult(
        task_name="T",
        scores={
            "de": {
                "mteb_version": "old",
                "languages": ["xxx-Latn"],
                "hf_subset": "wrong",
                "main_score": 0.25,
                "accuracy": 0.25,
            }
        },
        languages={"de": ["deu-Latn"]},
        mteb_version="pytest-mieb test",
    )
    [entry] = res.result_to_json(result)["scores"]["test"]
    assert list(entry.items()) == [
        ("accuracy", 0.25),
        ("main_score", 0.25),
        ("hf_subset", "de"),
        ("languages", ["deu-Latn"]),
        ("mteb_version", "pytest-mieb test"),
    ]


def test_a_result_without_details_is_written_with_mtebs_placeholders() -> None:
    result = TaskResult(task_name="T", scores={"default": {"main_score": 0.5}}, date=7.0)
    assert result.source == ""
    data = res.result_to_json(result)
    assert data["dataset_revision"] == ""
    assert list(data["scores"]) == ["test"]
    assert data["pytest_mieb"] == {
        "version": data["pytest_mieb"]["version"],
        "model_name": "no_model_name/available",
        "model_revision": "no_revision_available",
        "task_type": "",
        "main_score_name": "",
        "limit": None,
    }
    assert data["scores"]["test"][0]["languages"] == []


def test_where_a_result_was_read_from_is_not_part_of_its_identity() -> None:
    scores = {"default": {"main_score": 0.5}}
    assert TaskResult("T", scores, source="a.json") == TaskResult("T", scores, source="b.json")


def test_a_metric_over_no_subsets_is_undefined() -> None:
    result = TaskResult("T", {"default": {"main_score": 0.5}})
    assert math.isnan(result.metric("main_score", subsets=[]))
    assert math.isnan(TaskResult("T", {}).main_score)


def test_revision_folder_names_replace_slashes_and_spaces() -> None:
    assert res.revision_as_path("refs/pr/1 b") == "refs__pr__1_b"
    assert res.revision_as_path(None) == "no_revision_available"
