"""Every task of every suite maps to an evaluator that accepts its parameters."""

from __future__ import annotations

import inspect
import re
import warnings
from pathlib import Path

import pytest

from pytest_mieb.evaluators import EVALUATORS, PARAMETERS, get_evaluator
from pytest_mieb.evaluators.zeroshot import CandidateTextsWarning, candidate_texts
from pytest_mieb.tasks.spec import PROTOCOLS
from pytest_mieb.tasks.suites import SuiteError, load_all_specs, load_suite_file

SPECS = load_all_specs()
MIEB = {name: spec for name, spec in SPECS.items() if "mieb" in spec.markers}
PACKAGE = Path(__file__).resolve().parents[2] / "pytest_mieb"
TESTS = Path(__file__).resolve().parent


def test_the_packaged_suites_hold_all_130_tasks_plus_the_two_full_sts_tasks() -> None:
    assert len(MIEB) == 132


@pytest.mark.parametrize("name", sorted(SPECS))
def test_each_task_has_an_evaluator_that_accepts_its_parameters(name: str) -> None:
    spec = SPECS[name]
    evaluate = get_evaluator(spec.protocol)
    assert list(inspect.signature(evaluate).parameters) == ["spec", "data", "embedder"]
    assert set(spec.params) <= PARAMETERS[spec.protocol]


def test_every_protocol_has_an_evaluator_and_a_parameter_list() -> None:
    assert set(EVALUATORS) == set(PROTOCOLS) == set(PARAMETERS)


@pytest.mark.parametrize("protocol", sorted(PARAMETERS))
def test_declared_parameters_are_really_read(protocol: str) -> None:
    """A key listed as understood must be read somewhere (evaluators or data loaders)."""
    sources = "\n".join(
        p.read_text() for folder in ("evaluators", "data") for p in (PACKAGE / folder).rglob("*.py")
    )
    declared_only = {"seed"}  # read through spec.param("seed", 42) helpers
    for key in PARAMETERS[protocol] - declared_only:
        if key in ("n_candidates",):  # checked against the fixed list by the test below
            continue
        assert re.search(rf"[\"']{key}[\"']", sources), f"{protocol}: {key} is never read"


@pytest.mark.parametrize("target", sorted(set(EVALUATORS.values())))
def test_every_evaluator_has_tests(target: str) -> None:
    function = target.split(":")[1]
    tested = "\n".join(
        p.read_text() for p in TESTS.glob("test_*.py") if p.name != Path(__file__).name
    )
    assert function in tested, f"{function} is not exercised by any evaluator test"


def test_an_unknown_parameter_is_refused_by_name(tmp_path: Path) -> None:
    suite = tmp_path / "typo.toml"
    suite.write_text(
        '[[task]]\nname = "T"\ntype = "ImageClassification"\nprotocol = "linear_probe"\n'
        'main_score = "accuracy"\ndataset = { path = "a/b", revision = "1" }\n'
        "params = { samples_per_lable = 8 }\n"
    )
    with pytest.raises(SuiteError, match="unknown params \\['samples_per_lable'\\]"):
        load_suite_file(suite)


@pytest.mark.parametrize(
    "name", sorted(n for n, s in MIEB.items() if s.params.get("candidate_labels"))
)
def test_fixed_candidate_lists_match_the_reference_statistics(name: str) -> None:
    params = MIEB[name].params
    texts = params["candidate_labels"]
    assert len(texts) == params["n_candidates"]
    assert sum(len(t) for t in texts) == params["candidate_texts_total_chars"]


def test_class_names_that_do_not_match_the_reference_statistics_warn() -> None:
    spec = MIEB["CIFAR10ZeroShot"]
    names = [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        texts = candidate_texts(spec, names)  # CIFAR-10's real names: no warning
    assert texts[0] == "a photo of a airplane."
    with pytest.warns(CandidateTextsWarning, match="CIFAR10ZeroShot"):
        candidate_texts(spec, [*names[:-1], "lorries"])
