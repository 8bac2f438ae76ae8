"""Zero-shot candidate texts: fixed lists, templates over class names, reference checks."""

from __future__ import annotations

import warnings

import pytest

from pytest_mieb.tasks.candidate_texts import (
    CandidateTextsWarning,
    build_candidate_texts,
    candidate_texts,
    sun397_class_name,
)
from pytest_mieb.tasks.index import load_all_specs
from pytest_mieb.tasks.spec import DatasetRef, TaskSpec

MIEB = {name: spec for name, spec in load_all_specs().items() if "mieb" in spec.markers}


def make_spec(**params: object) -> TaskSpec:
    return TaskSpec(
        name="ZS", type="ZeroShotClassification", protocol="zero_shot",
        dataset=DatasetRef("local/zs", "0"), eval_split="test", main_score="accuracy",
        params=params,
    )  # fmt: skip


def test_build_candidate_texts_fills_template_verbatim():
    texts = build_candidate_texts("a photo of a {name}, a type of bird.", ["owl", "Blue Jay"])
    assert texts == ["a photo of a owl, a type of bird.", "a photo of a Blue Jay, a type of bird."]
    # Names go in untouched: trailing newlines and empty names survive, braces are not parsed.
    assert build_candidate_texts("{name} shapes.", ["", "near"]) == [" shapes.", "near shapes."]
    assert build_candidate_texts("of {name}.", ["Andorra\n"]) == ["of Andorra\n."]
    assert build_candidate_texts("x {name}", ["{0}"]) == ["x {0}"]


def test_sun397_transform():
    assert sun397_class_name("/b/boat_deck") == "boat deck"
    assert sun397_class_name("/c/church/outdoor") == "church outdoor"
    assert build_candidate_texts(
        "a photo of a {name}.", ["/a/abbey", "/s/shoe_shop", "/t/temple/east_asia"], "sun397"
    ) == ["a photo of a abbey.", "a photo of a shoe shop.", "a photo of a temple east asia."]


def test_build_candidate_texts_rejects_bad_input():
    with pytest.raises(ValueError, match="unknown class_name_transform 'upper'; known: sun397"):
        build_candidate_texts("{name}", ["a"], "upper")
    with pytest.raises(ValueError, match="no \\{name\\} slot"):
        build_candidate_texts("a photo", ["a"])


def test_candidate_texts_prefers_fixed_list():
    fixed = make_spec(candidate_labels=["a negative review", "a positive review"])
    assert candidate_texts(fixed) == ["a negative review", "a positive review"]
    templated = make_spec(
        candidate_label_template="a photo of a {name}.", class_name_transform="sun397"
    )
    assert candidate_texts(templated, ["/b/boat_deck"]) == ["a photo of a boat deck."]
    with pytest.raises(ValueError, match="class names are needed"):
        candidate_texts(templated)
    with pytest.raises(ValueError, match="ZS: neither candidate_labels nor"):
        candidate_texts(make_spec(), ["a"])


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
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    ]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        texts = candidate_texts(spec, names)  # CIFAR-10's real names: no warning
    assert texts[0] == "a photo of a airplane."
    with pytest.warns(CandidateTextsWarning, match="CIFAR10ZeroShot"):
        candidate_texts(spec, [*names[:-1], "lorries"])
