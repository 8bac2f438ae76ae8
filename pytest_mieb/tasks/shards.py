"""Split a task list into shards of about equal expected run time.

Shards are named ``"i/N"`` with a **1-based** index: ``1/4``, ``2/4``, ``3/4``, ``4/4``
(the numbering CI matrices usually show). Assignment is the longest-processing-time greedy
rule: tasks sorted by expected duration (longest first, ties by name) each go to the shard
with the least expected time so far (ties: the lowest shard number). The result depends only
on the set of tasks, their durations and N, so every CI job computes the same split on its
own; within a shard, tasks keep the order they were given in.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence

_SHARD_PATTERN = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/N"`` (1-based) -> (0-based index, N); ValueError with the valid range otherwise."""
    match = _SHARD_PATTERN.fullmatch(text or "")
    if match is None:
        raise ValueError(f"shard must look like i/N, e.g. 1/4 (1-based), got {text!r}")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1:
        raise ValueError(f"shard count must be >= 1, got {text!r}")
    if not 1 <= index <= count:
        raise ValueError(
            f"shard index is 1-based and must be in 1..{count}, got {text!r} "
            f"(valid: 1/{count} ... {count}/{count})"
        )
    return index - 1, count


def _default_duration(durations: Mapping[str, float]) -> float:
    known = [float(v) for v in durations.values() if v is not None and float(v) >= 0]
    return statistics.median(known) if known else 1.0


def assign_shards(
    tasks: Sequence[str],
    n_shards: int,
    durations: Mapping[str, float] | None = None,
    default_duration: float | None = None,
) -> list[list[str]]:
    """Split ``tasks`` into ``n_shards`` lists balanced by expected duration (seconds).

    Tasks without a known duration count as ``default_duration`` (default: the median of the
    known durations, or 1 s when none is known). Shards may be empty when there are fewer
    tasks than shards.
    """
    if n_shards < 1:
        raise ValueError(f"n_shards must be >= 1, got {n_shards}")
    duplicates = sorted(task for task, seen in Counter(tasks).items() if seen > 1)
    if duplicates:
        raise ValueError(f"tasks listed more than once: {duplicates}")
    durations = durations or {}
    fallback = _default_duration(durations) if default_duration is None else default_duration
    expected = {task: float(durations.get(task, fallback)) for task in tasks}
    if any(value < 0 for value in expected.values()):
        raise ValueError("durations must be >= 0")
    loads = [0.0] * n_shards
    shard_of: dict[str, int] = {}
    for task in sorted(tasks, key=lambda t: (-expected[t], t)):
        target = min(range(n_shards), key=lambda i: (loads[i], i))
        shard_of[task] = target
        loads[target] += expected[task]
    shards: list[list[str]] = [[] for _ in range(n_shards)]
    for task in tasks:
        shards[shard_of[task]].append(task)
    return shards


def shard_loads(
    shards: Sequence[Sequence[str]],
    durations: Mapping[str, float] | None = None,
    default_duration: float | None = None,
) -> list[float]:
    """Expected seconds per shard, with the same defaults as `assign_shards`."""
    durations = durations or {}
    fallback = _default_duration(durations) if default_duration is None else default_duration
    return [sum(float(durations.get(t, fallback)) for t in shard) for shard in shards]


def select_shard(
    tasks: Sequence[str],
    shard: str,
    durations: Mapping[str, float] | None = None,
    default_duration: float | None = None,
) -> list[str]:
    """The tasks of shard ``"i/N"``. Without ``durations``, the packaged published evaluation
    times (median over models) are used."""
    index, count = parse_shard(shard)
    if durations is None:
        from pytest_mieb.results.published import estimated_durations

        durations = estimated_durations()
    return assign_shards(tasks, count, durations, default_duration)[index]
