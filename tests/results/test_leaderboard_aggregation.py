"""Aggregation as mteb's MIEB leaderboard does it, checked against hand-worked numbers."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from pytest_mieb.results import published as reference
from pytest_mieb.results.aggregate import (
    DuplicateResultError,
    average_ranks,
    borda_ranks,
    build_leaderboard,
    custom_groups_for,
    load_results,
    mean_task_type,
    merge_results,
    type_means,
)
from pytest_mieb.results.files import TaskResult, write_result
from pytest_mieb.results.render import points
from pytest_mieb.results.task_score import task_score


def result(task: str, score: float | dict, model: str = "m/a", **extra) -> TaskResult:
    scores = score if isinstance(score, dict) else {"default": {"main_score": score}}
    return TaskResult(task_name=task, scores=scores, model_name=model, **extra)


TYPES = {"C1": "ImageClassification", "C2": "ImageClassification", "Z1": "ZeroShotClassification"}
TASKS = ["C1", "C2", "Z1"]


def test_task_score_means_subsets_and_is_missing_when_a_subset_is() -> None:
    multi = result("X", {"de": {"main_score": 0.2}, "fr": {"main_score": 0.6}})
    assert task_score(multi.scores) == pytest.approx(0.4)
    assert task_score(multi.scores, ["de"]) == pytest.approx(0.2)
    assert task_score(multi.scores, ["de", "fr", "ja"]) is None
    assert task_score(result("X", math.nan).scores) is None


def test_type_means_and_mean_task_type_by_hand() -> None:
    scores = {"C1": 0.8, "C2": 0.6, "Z1": 0.3}
    means = type_means(scores, TASKS, TYPES)
    assert means == {"ImageClassification": pytest.approx(0.7), "ZeroShotClassification": 0.3}
    assert mean_task_type(means) == pytest.approx(0.5)  # (0.7 + 0.3) / 2, not (0.8+0.6+0.3)/3


def test_a_missing_task_makes_its_type_and_the_overall_mean_missing() -> None:
    means = type_means({"C1": 0.8, "Z1": 0.3}, TASKS, TYPES)
    assert means["ImageClassification"] is None
    assert means["ZeroShotClassification"] == 0.3
    assert mean_task_type(means) is None
    assert (
        type_means({"C1": 0.8, "C2": math.nan, "Z1": 0.3}, TASKS, TYPES)["ImageClassification"]
        is None
    )


def test_borda_rank_hand_worked_with_a_tie_and_a_missing_score() -> None:
    # n = 3 models. T1: A .9, B = C = .8 -> ranks 1, 2.5, 2.5 -> points 2, .5, .5
    # T2: B .7, A .5, C missing -> points B 2, A 1, C 0
    # T3: C .3, B .2, A .1 -> points C 2, B 1, A 0.  Totals: A 3, B 3.5, C 2.5
    table = {
        "A": {"T1": 0.9, "T2": 0.5, "T3": 0.1},
        "B": {"T1": 0.8, "T2": 0.7, "T3": 0.2},
        "C": {"T1": 0.8, "T2": None, "T3": 0.3},
    }
    assert borda_ranks(table, ["T1", "T2", "T3"]) == {"B": 1, "A": 2, "C": 3}


def test_borda_totals_that_tie_share_the_best_rank() -> None:
    # A: 2 + 1 = 3, B: 1 + 2 = 3, C has no score -> 0
    table = {"A": {"T1": 0.9, "T2": 0.1}, "B": {"T1": 0.1, "T2": 0.9}, "C": {}}
    assert borda_ranks(table, ["T1", "T2"]) == {"A": 1, "B": 1, "C": 3}


def test_average_ranks_agree_with_brute_force_on_random_ties() -> None:
    rng = random.Random(3)
    for _ in range(50):
        values = [rng.choice([0.1, 0.2, 0.3, 0.4]) for _ in range(rng.randint(1, 8))]
        expected = []
        for v in values:
            better = sum(o > v for o in values)
            equal = sum(o == v for o in values)
            expected.append(better + (equal + 1) / 2)  # mean of ranks better+1 .. better+equal
        assert average_ranks(values) == expected


def test_leaderboard_ranks_by_mean_task_type_with_missing_last() -> None:
    results = [
        result("C1", 0.8, "m/a"), result("C2", 0.6, "m/a"), result("Z1", 0.3, "m/a"),
        result("C1", 0.5, "m/b"), result("C2", 0.5, "m/b"), result("Z1", 0.9, "m/b"),
        result("C1", 0.99, "m/c"), result("Z1", 0.99, "m/c"),
    ]  # fmt: skip
    board = build_leaderboard(results, tasks=TASKS, task_types=TYPES, benchmark="mini")
    assert [m.label for m in board.models] == ["m/b", "m/a", "m/c"]
    b, a, c = board.models
    assert b.mean_task_type == pytest.approx(0.7) and a.mean_task_type == pytest.approx(0.5)
    assert c.mean_task_type is None and c.type_means["ZeroShotClassification"] == 0.99
    assert [m.rank for m in board.models] == [1, 2, 3]
    # Borda (n=3): C1 c,a,b -> c2 a1 b0; C2 a,b (c missing) -> a2 b1; Z1 c,b,a -> c2 b1 a0
    # totals a 3, b 2, c 4: the model without a Mean (TaskType) still wins the Borda count
    assert {m.label: m.borda_rank for m in board.models} == {"m/c": 1, "m/a": 2, "m/b": 3}
    assert board.types == ("ImageClassification", "ZeroShotClassification")
    assert board.tasks_by_type["ImageClassification"] == ("C1", "C2")


def test_tasks_outside_the_benchmark_are_left_out_with_a_note() -> None:
    board = build_leaderboard(
        [result("C1", 0.5), result("Other", 0.1)], tasks=["C1"], task_types=TYPES
    )
    assert board.tasks == ("C1",)
    assert "Other" in board.notes[0]


def test_limited_results_get_their_own_column() -> None:
    results = [result("C1", 0.5), result("C1", 0.9, limit=20)]
    board = build_leaderboard(results, tasks=["C1"], task_types=TYPES)
    assert sorted(m.label for m in board.models) == ["m/a", "m/a [limit 20]"]
    assert board.column("m/a [limit 20]").task_scores["C1"] == 0.9
    assert board.column("m/a").task_scores["C1"] == 0.5


def test_two_revisions_of_one_model_are_two_labelled_columns() -> None:
    results = [
        result("C1", 0.5, model_revision="aaaaaaaaaaaaaaaa"),
        result("C1", 0.6, model_revision="bbbbbbbbbbbbbbbb"),
    ]
    board = build_leaderboard(results, tasks=["C1"], task_types=TYPES)
    assert sorted(m.label for m in board.models) == ["m/a@aaaaaaaaaaaa", "m/a@bbbbbbbbbbbb"]


def test_custom_group_columns_only_for_mieb_multilingual() -> None:
    benchmarks = {"MIEB(eng)": ["C1", "C2"], "MIEB(lite)": ["C1"], "MIEB(Multilingual)": TASKS}
    groups = custom_groups_for("MIEB(Multilingual)", benchmarks)
    assert groups == {"MIEB(eng) Task Mean": ["C1", "C2"], "MIEB(lite) Task Mean": ["C1"]}
    assert custom_groups_for("MIEB(lite)", benchmarks) == {}
    board = build_leaderboard(
        [result("C1", 0.8), result("C2", 0.5)], tasks=TASKS, task_types=TYPES,
        custom_groups=groups,
    )  # fmt: skip
    (model,) = board.models
    assert model.custom_means["MIEB(eng) Task Mean"] == pytest.approx(0.65)
    assert model.custom_means["MIEB(lite) Task Mean"] == 0.8
    assert model.mean_task_type is None  # Z1 missing


def test_published_clip_b16_reproduces_the_published_leaderboard_numbers() -> None:
    # published-scores.md: lite Mean(Task) 42.37, lite Mean(TaskType) 43.51,
    # Multilingual Mean(TaskType) 46.20, Multilingual per-type means 74.98 / 30.13 / 29.80.
    model = "openai/clip-vit-base-patch16"
    runs = reference.published_results(model)
    benchmarks = reference.benchmark_tasks()
    lite = build_leaderboard(runs, tasks=benchmarks["MIEB(lite)"])
    multi = build_leaderboard(
        runs,
        tasks=benchmarks["MIEB(Multilingual)"],
        benchmark="MIEB(Multilingual)",
        custom_groups=custom_groups_for("MIEB(Multilingual)", benchmarks),
    )
    assert points(lite.models[0].mean_task_type) == 43.51
    column = multi.models[0]
    assert points(column.mean_task_type) == 46.20
    assert points(column.custom_means["MIEB(lite) Task Mean"]) == 42.37
    assert points(column.type_means["ImageClassification"]) == 74.98
    assert points(column.type_means["Any2AnyRetrieval"]) == 30.13
    assert points(column.type_means["VisualSTS(multi)"]) == 29.80
    assert len(multi.types) == 10


# --- merging --------------------------------------------------------------------------------


def test_merge_of_two_shard_folders_gives_every_task_once(tmp_path) -> None:
    for task, score in [("C1", 0.8), ("C2", 0.6)]:
        write_result(result(task, score, task_type=TYPES[task]), tmp_path / "shard-1")
    write_result(result("Z1", 0.3, task_type=TYPES["Z1"]), tmp_path / "shard-2")
    merged = load_results([tmp_path / "shard-1", tmp_path / "shard-2"])
    assert sorted(r.task_name for r in merged) == TASKS
    board = build_leaderboard(merged, tasks=TASKS)  # types come from the files
    assert board.models[0].mean_task_type == pytest.approx(0.5)


def test_duplicates_keep_the_newest_or_are_refused() -> None:
    old = result("C1", 0.5, date=100.0, source="old")
    new = result("C1", 0.7, date=200.0, source="new")
    undated = result("C1", 0.1, source="undated")
    for order in itertools.permutations([old, new, undated]):
        (kept,) = merge_results(order)
        assert kept.source == "new"
    with pytest.raises(DuplicateResultError, match="C1 for m/a@no_revision_available"):
        merge_results([old, new], on_duplicate="error")
    same_again = result("C1", 0.5, date=100.0, source="copy")
    assert len(merge_results([old, same_again], on_duplicate="error")) == 1
    with pytest.raises(ValueError, match="on_duplicate"):
        merge_results([old], on_duplicate="oldest")


def test_limited_and_full_results_of_one_task_are_not_duplicates() -> None:
    merged = merge_results([result("C1", 0.5), result("C1", 0.9, limit=10)])
    assert sorted(r.limit or 0 for r in merged) == [0, 10]


def test_tasks_a_shown_model_cannot_take_are_columns_even_if_no_model_ran_them() -> None:
    board = build_leaderboard(
        [result("C1", 0.8, task_type="ImageClassification")],
        task_types=TYPES,
        not_applicable={"m/a": ["Z1"], "m/not-shown": ["C2"]},
    )
    tasks = [t for group in board.tasks_by_type.values() for t in group]
    assert tasks == ["C1", "Z1"]  # not C2: that model has no column
    (column,) = board.models
    assert column.not_applicable == frozenset({"Z1"}) and column.mean_task_type is None
