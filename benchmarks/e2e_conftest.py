"""conftest.py of one timed pytest-mieb run (copied into the run's scratch directory).

It counts the rows that reach the CLIP towers (`e2e_common.EncodeCounter`, the same count
as on the mteb side) and, at session end, adds what pytest-mieb's own embedders report
(`Embedder.stats`), then the counter writes both to $E2E_STATS_PATH when the process exits.
"""

from __future__ import annotations

import os
import sys
from typing import Any

sys.path.insert(0, os.environ["E2E_BENCH_DIR"])

from e2e_common import EncodeCounter

COUNTER = EncodeCounter().install().write_at_exit(os.environ["E2E_STATS_PATH"])


class ItemMarks:
    """A plugin object, not conftest hooks: the suite items live outside this directory,
    and a conftest's item hooks only see items under it."""

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        COUNTER.mark(f"start {nodeid.rsplit('::', 1)[-1]}")

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        COUNTER.mark(f"end {nodeid.rsplit('::', 1)[-1]}")


def pytest_configure(config: Any) -> None:
    config.pluginmanager.register(ItemMarks(), "e2e-item-marks")


def pytest_sessionstart(session: Any) -> None:
    COUNTER.mark("harness_ready")


def pytest_sessionfinish(session: Any) -> None:
    """The plugin drops its embedders only at unconfigure, after this."""
    from pytest_mieb.plugin.hooks import STATE

    COUNTER.mark("work_done")
    state = session.config.stash.get(STATE, None)
    embedders = state.embedders if state is not None else []
    COUNTER.extra["harness_stats"] = [
        {
            "encoded": dict(e.stats.encoded),
            "batches": dict(e.stats.batches),
            "encode_seconds": {k: round(v, 3) for k, v in e.stats.seconds.items()},
            "requests": e.stats.requests,
            "cache_hits": e.stats.cache_hits,
            "num_workers": e.num_workers,
            "batch_size": e.batch_size,
        }
        for e in embedders
    ]
