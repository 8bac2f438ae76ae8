"""Result files of tasks scored on several splits, files as mteb writes them, and what the
reader says about malformed ones: round trips compare every field of the result."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_mieb.results import files as res
from pytest_mieb.results.files import TaskResult
from pytest_mieb.tasks.spec import DatasetRef, TaskSpec

STS = "STSBenchmarkMultilingualVisualSTS"  # packaged; scored on test and dev, as in mteb
REPO = Path(__file__).resolve().parents[2]


def two_split_result(**overrides) -> TaskResult:
    """A result whose main split is `test`, with the `dev` split scored besides it."""
    fields = dict(
        task_name="TwoSplitTask",
        scores={
            "en": {"cosine_spearman": 0.5, "main_score": 0.5},
            "de": {"cosine_spearman": 0.25, "main_score": 0.25},
            "dev/en": {"cosine_spearman": 0.75, "main_score": 0.75},
            "dev/de": {"cosine_spearman": 0.125, "main_score": 0.125},
        },
        model_name="org/model",
        model_revision="rev1",
        task_type="VisualSTS(multi)",
        main_score_name="cosine_spearman",
        dataset_revision="ds1",
        eval_split="test",
        evaluation_time=3.5,
        languages={
            "en": ["eng-Latn"],
            "de": ["deu-Latn"],
            "dev/en": ["eng-Latn"],
            "dev/de": ["deu-Latn"],
        },
        date=1_700_000_000.5,
        extra_splits=("dev",),
    )
    fields.update(overrides)
    return TaskResult(**fields)


def entry(subset: str, score: float) -> dict:
    return {"cosine_spearman": score, "main_score": score, "hf_subset": subset, "languages": []}


# --- several splits ------------------------------------------------------------------------


def test_a_two_split_result_is_written_split_by_split_and_reads_back_equal(tmp_path) -> None:
    result = two_split_result()
    path = res.write_result(result, tmp_path)
    data = json.loads(path.read_text())
    assert list(data["scores"]) == ["test", "dev"]
    assert [e["hf_subset"] for e in data["scores"]["dev"]] == ["en", "de"]
    assert [e["main_score"] for e in data["scores"]["dev"]] == [0.75, 0.125]
    assert data["pytest_mieb"]["extra_eval_splits"] == ["dev"]
    loaded = res.load_result(path)
    assert loaded == result  # every field but `source`
    assert loaded.extra_splits == ("dev",) and loaded.eval_split == "test"
    assert loaded.main_score == pytest.approx((0.5 + 0.25 + 0.75 + 0.125) / 4)


def test_a_result_on_a_split_other_than_test_keeps_its_split_name(tmp_path) -> None:
    result = two_split_result(
        scores={"default": {"accuracy": 0.5, "main_score": 0.5}},
        languages={"default": []},
        eval_split="validation",
        extra_splits=(),
    )
    path = res.write_result(result, tmp_path)
    assert list(json.loads(path.read_text())["scores"]) == ["validation"]
    assert "extra_eval_splits" not in json.loads(path.read_text())["pytest_mieb"]
    assert res.load_result(path) == result


def test_naming_a_split_reads_only_that_split(tmp_path) -> None:
    path = res.write_result(two_split_result(), tmp_path)
    dev = res.load_result(path, split="dev")
    assert dev.eval_split == "dev" and dev.extra_splits == ()
    assert dict(dev.scores) == {
        "en": {"cosine_spearman": 0.75, "main_score": 0.75},
        "de": {"cosine_spearman": 0.125, "main_score": 0.125},
    }
    test = res.load_result(path, split="test")
    assert test.extra_splits == () and set(test.scores) == {"en", "de"}
    assert test.main_score == pytest.approx(0.375)


def test_a_file_lacking_a_recorded_extra_split_is_refused_with_the_split_named() -> None:
    data = res.result_to_json(two_split_result())
    del data["scores"]["dev"]
    with pytest.raises(ValueError) as error:
        res.result_from_json(data)
    assert str(error.value) == "TwoSplitTask: no split 'dev'; splits: ['test']"
    with pytest.raises(ValueError) as error:
        res.result_from_json(data, source="some/file.json")
    assert str(error.value) == "some/file.json: no split 'dev'; splits: ['test']"


def test_mtebs_file_of_a_two_split_task_scores_every_split_of_the_packaged_task() -> None:
    """mteb's STSBenchmarkMultilingualVisualSTS files hold test and dev (no record of which
    one is extra): the packaged task says dev is, and the score is the flat mean of both."""
    data = {
        "task_name": STS,
        "scores": {
            "test": [entry("en", 0.5), entry("de", 0.25)],
            "dev": [entry("en", 1.0), entry("de", 0.75)],
        },
    }
    result = res.result_from_json(data, model_name="m", model_revision="r")
    assert result.eval_split == "test" and result.extra_splits == ("dev",)
    assert set(result.scores) == {"en", "de", "dev/en", "dev/de"}
    assert result.scores["dev/de"]["main_score"] == 0.75
    assert result.main_score == pytest.approx((0.5 + 0.25 + 1.0 + 0.75) / 4)


def test_mtebs_file_with_one_split_of_a_two_split_task_reads_that_split() -> None:
    data = {"task_name": STS, "scores": {"test": [entry("en", 0.5)]}}
    result = res.result_from_json(data)
    assert result.extra_splits == () and dict(result.scores) == {
        "en": {"cosine_spearman": 0.5, "main_score": 0.5}
    }


def test_another_writers_two_split_file_of_an_unknown_task_reads_its_test_split() -> None:
    data = {
        "task_name": "NotAPackagedTask",
        "scores": {"test": [entry("en", 0.5)], "dev": [entry("en", 0.9)]},
    }
    result = res.result_from_json(data)
    assert result.eval_split == "test" and result.extra_splits == ()
    assert result.main_score == 0.5


def test_our_file_uses_the_splits_it_records_not_the_packaged_tasks() -> None:
    """Our file of the packaged two-split task that scored test only: dev is not required."""
    result = two_split_result(
        task_name=STS,
        scores={"en": {"main_score": 0.5}},
        languages={"en": []},
        extra_splits=(),
    )
    data = res.result_to_json(result)
    data["scores"]["dev"] = [entry("en", 0.9)]  # a split the run did not count
    loaded = res.result_from_json(data, split=None)
    assert loaded.extra_splits == () and loaded.main_score == 0.5


# --- what the reader fills in ----------------------------------------------------------------


def test_mtebs_file_without_our_block_reads_with_empty_defaults() -> None:
    data = {"task_name": "CIFAR10", "scores": {"test": [{"accuracy": 0.9, "main_score": 0.9}]}}
    result = res.result_from_json(data)
    assert result.task_type == "" and result.main_score_name == ""
    assert result.dataset_revision == "" and result.mteb_version == ""
    assert result.source == "" and result.date is None and result.evaluation_time is None
    assert dict(result.scores) == {"default": {"accuracy": 0.9, "main_score": 0.9}}
    assert result.languages == {"default": []}


def test_a_date_that_is_not_a_timestamp_is_dropped_and_the_result_kept() -> None:
    data = {
        "task_name": "CIFAR10",
        "scores": {"test": [entry("default", 0.9)]},
        "date": "2025-01-02T03:04:05",
    }
    assert res.result_from_json(data).date is None
    data["date"] = 1_700_000_000
    assert res.result_from_json(data).date == 1_700_000_000


def test_a_missing_main_score_is_written_from_the_tasks_main_metric() -> None:
    result = two_split_result(
        scores={"en": {"cosine_spearman": 0.4}, "de": {"pearson": 0.1}},
        languages={},
        extra_splits=(),
    )
    written = res.result_to_json(result)["scores"]["test"]
    assert written[0]["main_score"] == 0.4
    assert written[1]["main_score"] is None  # no main metric either: undefined


# --- error messages ---------------------------------------------------------------------------


def test_not_a_task_result_names_the_task_or_says_result() -> None:
    with pytest.raises(ValueError) as error:
        res.result_from_json({"scores": {}})
    assert str(error.value) == "result: not a task result (no 'task_name' key)"
    with pytest.raises(ValueError) as error:
        res.result_from_json({"task_name": "CIFAR10"})
    assert str(error.value) == "CIFAR10: not a task result (no 'scores' key)"


def test_several_splits_without_test_ask_which_one_to_read() -> None:
    data = {"task_name": "CIFAR10", "scores": {"val": [], "train": []}}
    with pytest.raises(ValueError) as error:
        res.result_from_json(data)
    assert str(error.value) == ("CIFAR10: several splits ['train', 'val']; say which one to read")


def test_unreadable_files_get_one_line_errors_naming_the_file(tmp_path) -> None:
    broken = tmp_path / "Broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match=r"Broken\.json: not valid JSON \(Expecting"):
        res.load_result(broken)
    listed = tmp_path / "Listed.json"
    listed.write_text("[1, 2]")
    with pytest.raises(ValueError) as error:
        res.load_result(listed)
    assert str(error.value) == f"{listed}: not a task result (top level is not an object)"


# --- identity and resume ----------------------------------------------------------------------


def test_an_mteb_style_file_in_a_limit_folder_takes_model_and_revision_from_above(
    tmp_path,
) -> None:
    path = tmp_path / "org__model" / "rev9" / "limit-5" / "CIFAR10.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"task_name": "CIFAR10", "scores": {"test": [entry("x", 0.1)]}}))
    result = res.load_result(path)
    assert (result.model_name, result.model_revision) == ("org/model", "rev9")


def test_our_file_is_identified_by_its_content_not_its_folder(tmp_path) -> None:
    """A file of ours with no model name stays unnamed even beside another model's
    model_meta.json; only mteb's files take their identity from the folders."""
    folder = tmp_path / "other__model" / "r2"
    folder.mkdir(parents=True)
    (folder / "model_meta.json").write_text(json.dumps({"name": "other/model", "revision": "r2"}))
    path = folder / "TwoSplitTask.json"
    path.write_text(json.dumps(res.result_to_json(two_split_result(model_name=""))))
    loaded = res.load_result(path)
    assert loaded.model_name == res.NO_MODEL_NAME and loaded.model_revision == "rev1"


@pytest.mark.parametrize(
    "meta", ["[]", '"a string"', '{"name": "org/x", "revision": 3}', '{"name": 7}', "{broken"]
)
def test_a_model_meta_file_that_is_not_mtebs_object_leaves_the_identity_to_the_folders(
    tmp_path, meta
) -> None:
    folder = tmp_path / "org__model" / "rev9"
    folder.mkdir(parents=True)
    (folder / "model_meta.json").write_text(meta)
    path = folder / "CIFAR10.json"
    path.write_text(json.dumps({"task_name": "CIFAR10", "scores": {"test": [entry("x", 0.1)]}}))
    [result] = list(res.iter_results(tmp_path))
    assert (result.model_name, result.model_revision) == ("org/model", "rev9")


def test_a_result_of_another_limit_copied_in_place_does_not_count_as_done(tmp_path) -> None:
    limited = two_split_result(limit=5)
    res.write_result(limited, tmp_path)
    full_path = res.result_path(tmp_path, "org/model", "rev1", "TwoSplitTask")
    shutil.copy(res.path_for(limited, tmp_path), full_path)
    assert res.has_result(tmp_path, "org/model", "rev1", "TwoSplitTask", limit=5)
    assert not res.has_result(tmp_path, "org/model", "rev1", "TwoSplitTask")


def test_result_files_are_read_as_utf8_whatever_the_locale(tmp_path) -> None:
    """mteb writes UTF-8; a reader under an ASCII locale (no UTF-8 mode) must still read
    non-ASCII model names, in result files and in model_meta.json."""
    folder = tmp_path / "org__Müller" / "r1"
    folder.mkdir(parents=True)
    meta = {"name": "org/Müller", "revision": "révision"}
    (folder / "model_meta.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    data = {"task_name": "CIFAR10", "scores": {"test": [entry("défaut", 0.5)]}}
    (folder / "CIFAR10.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    here = res.load_result(folder / "CIFAR10.json")  # in this process too, so that mutation
    assert (here.model_name, here.model_revision) == ("org/Müller", "révision")  # runs pick it
    code = (
        "import sys, locale; from pytest_mieb.results.files import load_result; "
        "r = load_result(sys.argv[1]); "
        "print(locale.getpreferredencoding(False), ascii((r.model_name, r.model_revision, "
        "r.subsets)))"
    )
    env = dict(os.environ, LC_ALL="C", LANG="C", PYTHONCOERCECLOCALE="0", PYTHONUTF8="0")
    # the package as this process imports it: a PYTHONPATH given (mutmut's mutated copy)
    # first, then the checkout; run outside the checkout, which would come first otherwise
    env["PYTHONPATH"] = os.pathsep.join(p for p in (env.get("PYTHONPATH"), str(REPO)) if p)
    done = subprocess.run(
        [sys.executable, "-X", "utf8=0", "-c", code, str(folder / "CIFAR10.json")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    encoding, identity = done.stdout.split(" ", 1)
    if encoding.lower().replace("-", "") in ("utf8",):
        pytest.skip("this platform reads files as UTF-8 under the C locale anyway")
    assert identity.strip() == ascii(("org/Müller", "révision", ("défaut",)))


# --- from an evaluation -----------------------------------------------------------------------


def two_split_spec(**overrides) -> TaskSpec:
    fields = dict(
        name="TwoSplitTask",
        type="VisualSTS(multi)",
        protocol="sts",
        dataset=DatasetRef("org/sts", "ds1"),
        eval_split="test",
        main_score="cosine_spearman",
        subsets=("en", "de"),
        languages={"en": ("eng-Latn",), "de": ("deu-Latn",)},
        params={"extra_eval_splits": ("dev",)},
    )
    fields.update(overrides)
    return TaskSpec(**fields)


def test_from_evaluation_records_splits_time_and_date(tmp_path) -> None:
    scores = {key: dict(values) for key, values in two_split_result().scores.items()}
    result = TaskResult.from_evaluation(
        two_split_spec(), scores, model_name="org/model", model_revision="rev1",
        evaluation_time=3.5, date=1_700_000_000.5,
    )  # fmt: skip
    assert result == two_split_result()  # languages of dev/<subset> are those of <subset>
    assert res.load_result(res.write_result(result, tmp_path)) == result


def test_from_evaluation_keeps_the_main_split_and_stamps_now_when_no_date_given() -> None:
    before = time.time()
    result = TaskResult.from_evaluation(
        two_split_spec(eval_split="validation", params={}),
        {"en": {"main_score": 0.5}},
        model_name="m",
        model_revision="r",
        evaluation_time=None,
    )
    assert result.eval_split == "validation" and result.extra_splits == ()
    assert result.date is not None and before <= result.date <= time.time()
    assert result.evaluation_time is None and not math.isnan(result.main_score)
