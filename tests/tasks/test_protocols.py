"""The protocol table: every task's protocol has an evaluator and a default-loader rule,
its params are checked by type and name when a suite is read, and defaults fill in."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from pytest_mieb.evaluators import get_evaluator
from pytest_mieb.tasks.index import load_all_specs
from pytest_mieb.tasks.protocols import PROTOCOLS, import_target
from pytest_mieb.tasks.spec import DatasetRef, TaskSpec
from pytest_mieb.tasks.suites import SuiteError, load_suite_file

SPECS = load_all_specs()
MIEB = {name: spec for name, spec in SPECS.items() if "mieb" in spec.markers}
PACKAGE = Path(__file__).resolve().parents[2] / "pytest_mieb"
EVALUATOR_TESTS = Path(__file__).resolve().parents[1] / "evaluators"

TASK = (
    '[[task]]\nname = "T"\ntype = "ImageClassification"\nprotocol = "{protocol}"\n'
    'main_score = "accuracy"\ndataset = {{ path = "a/b", revision = "1" }}\n'
    'category = "t2i"\nmodalities = ["image", "text"]\n'
)


def read_task(tmp_path: Path, protocol: str, params: str = "") -> TaskSpec:
    suite = tmp_path / "suite.toml"
    suite.write_text(TASK.format(protocol=protocol) + (f"params = {{ {params} }}\n"))
    (spec,) = load_suite_file(suite).tasks
    return spec


def spec(protocol: str, **fields: object) -> TaskSpec:
    return TaskSpec(
        name="T", type="X", protocol=protocol, dataset=DatasetRef("a/b", "1"),
        eval_split="test", main_score="accuracy", **fields,
    )  # fmt: skip


def test_the_packaged_suites_hold_all_130_tasks_plus_the_two_full_sts_tasks() -> None:
    assert len(MIEB) == 132


@pytest.mark.parametrize("name", sorted(SPECS))
def test_each_task_has_an_evaluator_that_accepts_its_parameters(name: str) -> None:
    task = SPECS[name]
    evaluate = get_evaluator(task.protocol)
    assert list(inspect.signature(evaluate).parameters) == ["spec", "data", "embedder"]
    assert set(task.params) <= PROTOCOLS[task.protocol].param_names


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_every_function_the_table_names_exists(protocol: str) -> None:
    entry = PROTOCOLS[protocol]
    assert callable(import_target(entry.evaluator))
    if entry.default_loader is not None:
        assert list(inspect.signature(import_target(entry.default_loader)).parameters) == [
            "spec", "src", "limit",
        ]  # fmt: skip


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_declared_parameters_are_really_read(protocol: str) -> None:
    """A key listed as understood must be read somewhere (evaluators or data loaders)."""
    sources = "\n".join(
        p.read_text()
        for folder in ("evaluators", "data", "tasks")
        for p in (PACKAGE / folder).rglob("*.py")
        if p.name != "protocols.py"
    )
    for key in PROTOCOLS[protocol].param_names:
        if key in ("n_candidates",):  # checked against the fixed list by test_candidate_texts
            continue
        # query_modalities / corpus_modalities are read as f"{side}_modalities".
        pattern = "{side}_modalities" if key.endswith("_modalities") else key
        assert re.search(rf"[\"']{re.escape(pattern)}[\"']", sources), f"{key} is never read"


@pytest.mark.parametrize("target", sorted({p.evaluator for p in PROTOCOLS.values()}))
def test_every_evaluator_has_tests(target: str) -> None:
    function = target.split(":")[1]
    tested = "\n".join(p.read_text() for p in EVALUATOR_TESTS.glob("test_*.py"))
    assert function in tested, f"{function} is not exercised by any evaluator test"


def test_an_unknown_parameter_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="unknown params \\['samples_per_lable'\\]"):
        read_task(tmp_path, "linear_probe", "samples_per_lable = 8")


@pytest.mark.parametrize(
    ("protocol", "params", "message"),
    [
        ("linear_probe", 'samples_per_label = "8"', "samples_per_label must be an integer"),
        ("linear_probe", "seed = true", "seed must be an integer"),
        ("linear_probe", "drop_train_rows = 3", "drop_train_rows must be a list of integers"),
        ("retrieval", "skip_first_result = 1", "skip_first_result must be true or false"),
        ("retrieval", "k_values = [1, 2.5]", "k_values must be a list of integers"),
        ("retrieval", 'query_modalities = ["audio"]', "query_modalities must be a non-empty"),
        ("retrieval", "corpus_modalities = []", "corpus_modalities must be a non-empty"),
        ("visual_sts", "gold_score_range = [0, 1, 5]", "gold_score_range must be a .low, high."),
        ("zero_shot", "candidate_labels = [1, 2]", "candidate_labels must be a list of strings"),
        ("aggregate_of_visual_sts", 'subtasks = ["x"]', "subtasks must be a list of tables"),
    ],
)
def test_a_parameter_of_the_wrong_type_is_refused(
    tmp_path: Path, protocol: str, params: str, message: str
) -> None:
    with pytest.raises(SuiteError, match=f"task 'T': params.{message}"):
        read_task(tmp_path, protocol, params)


def test_left_out_params_take_the_protocol_defaults(tmp_path: Path) -> None:
    assert read_task(tmp_path, "linear_probe").params == {
        "samples_per_label": 16, "n_experiments": 5, "max_iter": 100, "drop_train_rows": [],
        "seed": 42,
    }  # fmt: skip
    assert read_task(tmp_path, "multilabel_probe", "seed = 7").params == {
        "samples_per_label": 8, "n_experiments": 5, "n_neighbors": 5, "seed": 7,
    }  # fmt: skip
    assert read_task(tmp_path, "kmeans_clustering").params == {"batch_size": 500, "seed": 42}
    assert read_task(tmp_path, "visual_sts").params == {"gold_score_range": [0, 5], "seed": 42}
    assert read_task(tmp_path, "aggregate_of_visual_sts").params == {"seed": 42}


def test_retrieval_defaults_follow_mieb_and_the_task(tmp_path: Path) -> None:
    """k values are MIEB's; top_k the largest k; modalities from the category ("t2i")."""
    assert read_task(tmp_path, "retrieval").params == {
        "k_values": [1, 3, 5, 10, 20, 100, 1000], "top_k_retrieved": 1000,
        "skip_first_result": False, "ignore_identical_ids": False, "seed": 42,
        "query_modalities": ["text"], "corpus_modalities": ["image"],
    }  # fmt: skip
    given = read_task(tmp_path, "multiple_choice", 'k_values = [1, 3], cvbench_task = "Count"')
    assert given.params["top_k_retrieved"] == 3 and given.params["cvbench_task"] == "Count"
    assert spec("retrieval", category="it2t").params["query_modalities"] == ["image", "text"]


def test_derived_defaults_read_the_task() -> None:
    # mteb's zero-shot rule on the literal modalities order.
    assert spec("zero_shot", modalities=("image", "text")).params["scoring_path"] == "clip_softmax"
    assert spec("zero_shot", modalities=("text", "image")).params["scoring_path"] == (
        "model_similarity"
    )
    assert spec("image_text_pair_matching").params["source_split"] == "test"
    given = spec("image_text_pair_matching", params={"source_split": "train"})
    assert given.params["source_split"] == "train"


def test_defaults_are_fresh_lists_and_unknown_protocols_keep_their_params() -> None:
    first, second = spec("retrieval"), spec("retrieval")
    first.params["k_values"].append(5000)
    assert second.params["k_values"] == [1, 3, 5, 10, 20, 100, 1000]
    assert spec("no_such_protocol", params={"x": 1}).params == {"x": 1}


def test_an_unknown_protocol_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="unknown protocol 'probe'; known: linear_probe, "):
        read_task(tmp_path, "probe")
    known = ", ".join(sorted(PROTOCOLS))
    with pytest.raises(KeyError) as refused:
        get_evaluator("probe")
    assert refused.value.args == (f"no evaluator for protocol 'probe'; known: {known}",)
    assert "kmeans_clustering" in known.split(", ") and "linear_probe" in known.split(", ")
