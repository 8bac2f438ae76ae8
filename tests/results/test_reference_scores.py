"""Packaged published scores: lookups, deviation detection and duration estimates."""

from __future__ import annotations

import json
import math
import statistics
from importlib import resources

import pytest

from pytest_mieb.results import published as reference

CLIP = "openai/clip-vit-base-patch16"


def test_packaged_data_covers_the_130_tasks_and_57_models_and_says_where_it_came_from() -> None:
    raw = json.loads(
        resources.files("pytest_mieb").joinpath(reference.DATA_FILE).read_text(encoding="utf-8")
    )
    assert "f4cc6c8b365a3c779dbc708d6affe0b0355b2ddf" in raw["note"]
    assert len(reference.task_order()) == 130
    assert len(reference.published_models()) == 57
    assert {k: len(v) for k, v in reference.benchmark_tasks().items()} == {
        "MIEB(Multilingual)": 130,
        "MIEB(eng)": 125,
        "MIEB(lite)": 51,
    }
    assert len(set(reference.task_types().values())) == 10
    assert reference.task_subsets()["WITT2IRetrieval"][:2] == ["ar", "bg"]


def test_reference_scores_and_times_of_one_model() -> None:
    scores = reference.reference_scores(CLIP)
    assert len(scores) == 130
    assert all(0 <= v <= 1 for v in scores.values())
    assert reference.reference_revision(CLIP)
    times = reference.reference_times(CLIP)
    assert times["UCF101"] == pytest.approx(7247.9, abs=0.05)
    partial = reference.reference_scores("Salesforce/blip-image-captioning-base")
    assert len(partial) == 124 and "ROxfordEasyI2IRetrieval" not in partial


def test_unknown_model_names_suggest_close_ones() -> None:
    with pytest.raises(KeyError, match="did you mean openai/clip-vit-base-patch16"):
        reference.reference_scores("openai/clip-vit-base-patch-16")


def test_published_results_are_named_apart_from_runs_of_the_same_model() -> None:
    results = reference.published_results(CLIP)
    assert len(results) == 130
    cifar = next(r for r in results if r.task_name == "CIFAR10ZeroShot")
    assert cifar.model_name == CLIP + " (published)"
    assert cifar.main_score_name == "accuracy" and cifar.task_type == "ZeroShotClassification"
    assert cifar.main_score == reference.reference_scores(CLIP)["CIFAR10ZeroShot"]


def test_deviations_find_exactly_the_planted_differences() -> None:
    published = reference.reference_scores(CLIP)
    ours = dict(published)
    ours["CIFAR10"] += 0.02
    ours["DTD"] -= 0.05
    ours["MNIST"] += 0.004  # below the threshold
    ours["NotATask"] = 0.5  # only in our run: ignored
    found = reference.deviations(ours, published, threshold=0.01)
    assert [(d.task, round(d.diff, 6)) for d in found] == [("DTD", -0.05), ("CIFAR10", 0.02)]
    dtd = found[0]
    assert dtd.ours == pytest.approx(published["DTD"] - 0.05)
    assert dtd.published == published["DTD"]


def test_deviation_threshold_is_strict_and_nan_always_deviates() -> None:
    found = reference.deviations(
        {"a": 0.5, "b": 0.25, "c": math.nan}, {"a": 0.25, "b": 0.5, "c": 0.1}, 0.25
    )
    assert [d.task for d in found] == ["c"]  # |0.25| is not > 0.25; NaN counts
    with pytest.raises(ValueError):
        reference.deviations({}, {}, threshold=-1)


def test_estimated_durations_are_the_median_over_published_models() -> None:
    durations = reference.estimated_durations()
    assert len(durations) == 130
    per_model = [reference.reference_times(m).get("CIFAR10") for m in reference.published_models()]
    expected = statistics.median(t for t in per_model if t is not None)
    assert durations["CIFAR10"] == pytest.approx(expected)
    assert durations["UCF101"] > durations["CIFAR10"]
    assert reference.estimated_durations("max")["CIFAR10"] == max(t for t in per_model if t)
    with pytest.raises(ValueError, match="statistic"):
        reference.estimated_durations("mode")
