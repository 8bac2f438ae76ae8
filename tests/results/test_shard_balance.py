"""Sharding: longest-processing-time balance, determinism, and the "i/N" syntax."""

from __future__ import annotations

import itertools
import random

import pytest

from pytest_mieb.results import published as reference
from pytest_mieb.tasks import shards as shard


def test_lpt_assignment_worked_by_hand() -> None:
    durations = {"a": 10, "b": 9, "c": 8, "d": 7, "e": 6, "f": 5}
    # a->1 (10), b->2 (9), c->2 (17), d->1 (17), e->1 (tie: lowest shard; 23), f->2 (22)
    shards = shard.assign_shards(list("fedcba"), 2, durations)
    assert shards == [["e", "d", "a"], ["f", "c", "b"]]  # input order kept inside a shard
    assert shard.shard_loads(shards, durations) == [23, 22]


def test_assignment_does_not_depend_on_input_order() -> None:
    durations = {"a": 3, "b": 3, "c": 2, "d": 2, "e": 1}
    expected = [set(s) for s in shard.assign_shards(list("abcde"), 3, durations)]
    for order in itertools.permutations("abcde"):
        assert [set(s) for s in shard.assign_shards(list(order), 3, durations)] == expected


def test_every_task_lands_in_exactly_one_shard_and_loads_are_close() -> None:
    rng = random.Random(5)
    for _ in range(30):
        tasks = [f"t{i}" for i in range(rng.randint(1, 40))]
        durations = {t: rng.uniform(1, 100) for t in tasks}
        n = rng.randint(1, 6)
        shards = shard.assign_shards(tasks, n, durations)
        assert len(shards) == n
        assert sorted(t for s in shards for t in s) == sorted(tasks)
        loads = shard.shard_loads(shards, durations)
        # LPT guarantee: the spread never exceeds the longest single task
        assert max(loads) - min(loads) <= max(durations.values()) + 1e-9


def test_mieb_multilingual_splits_into_balanced_shards_with_published_times() -> None:
    tasks = reference.benchmark_tasks()["MIEB(Multilingual)"]
    durations = reference.estimated_durations()
    shards = shard.assign_shards(tasks, 4, durations)
    loads = shard.shard_loads(shards, durations)
    longest = max(durations[t] for t in tasks)
    assert max(loads) - min(loads) <= longest
    assert sum(len(s) for s in shards) == 130


def test_unknown_durations_default_to_the_median_of_known_ones() -> None:
    durations = {"a": 1.0, "b": 3.0, "c": 100.0}  # median 3
    shards = shard.assign_shards(["a", "b", "c", "x"], 2, durations)
    assert shard.shard_loads(shards, durations) == [100.0, 7.0]  # x counted as 3
    explicit = shard.assign_shards(["a", "b", "c", "x"], 2, durations, default_duration=200)
    assert explicit == [["x"], ["a", "b", "c"]]
    # nothing known: every task weighs the same, so counts balance
    even = shard.assign_shards([f"t{i}" for i in range(7)], 3)
    assert sorted(len(s) for s in even) == [2, 2, 3]


def test_more_shards_than_tasks_leaves_some_empty() -> None:
    assert shard.assign_shards(["a"], 3, {"a": 1}) == [["a"], [], []]


def test_select_shard_is_one_based_and_covers_everything() -> None:
    tasks = [f"t{i}" for i in range(10)]
    durations = {t: i + 1 for i, t in enumerate(tasks)}
    parts = [shard.select_shard(tasks, f"{i}/3", durations) for i in (1, 2, 3)]
    assert parts == shard.assign_shards(tasks, 3, durations)
    # with no durations given, the packaged published times are used
    mieb = ["UCF101", "CIFAR10", "DTD"]
    assert shard.select_shard(mieb, "1/2") == ["UCF101"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0/4", "1-based and must be in 1..4"),
        ("5/4", "1-based and must be in 1..4"),
        ("1/0", "count must be >= 1"),
        ("a/b", "must look like i/N"),
        ("3", "must look like i/N"),
        ("", "must look like i/N"),
    ],
)
def test_bad_shard_strings_are_explained(text, message) -> None:
    with pytest.raises(ValueError, match=message):
        shard.parse_shard(text)


def test_parse_shard_accepts_spaces() -> None:
    assert shard.parse_shard(" 2 / 5 ") == (1, 5)


def test_invalid_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="n_shards"):
        shard.assign_shards(["a"], 0)
    with pytest.raises(ValueError, match="more than once"):
        shard.assign_shards(["a", "b", "a"], 2)
    with pytest.raises(ValueError, match=">= 0"):
        shard.assign_shards(["a"], 1, {"a": -1})
