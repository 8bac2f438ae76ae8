"""Reading a finished benchmark's timing, also when timing is off (--benchmark-disable
runs each benchmark once as a smoke test and keeps no statistics)."""

from __future__ import annotations

from typing import Any


def seconds(benchmark: Any, statistic: str = "median") -> float | None:
    """The benchmark's `statistic` in seconds, or None when no statistics were kept."""
    stats = getattr(benchmark, "stats", None)
    return None if stats is None else float(getattr(stats.stats, statistic))


def record_rate(benchmark: Any, name: str, count: int, statistic: str = "mean") -> None:
    """extra_info[name] = count / seconds (items per second), when timed."""
    taken = seconds(benchmark, statistic)
    if taken:
        benchmark.extra_info[name] = round(count / taken, 1)


def record_per_item_ms(benchmark: Any, name: str, count: int) -> None:
    """extra_info[name] = median milliseconds per item, when timed."""
    taken = seconds(benchmark)
    if taken is not None:
        benchmark.extra_info[name] = round(taken / count * 1e3, 3)
