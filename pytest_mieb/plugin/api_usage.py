"""The API models' side of a session: settings from the options, usage per item and in total.

`configure` hands the options to `pytest_mieb.models.api.settings` (xdist workers share the
controller's run id, so they share one request budget). Each item that made API calls sends
what it used with its report (`USAGE_PROPERTY`, a user property, so it reaches the xdist
controller); `Tally` adds the reports up and writes the terminal summary's lines.
"""

from __future__ import annotations

import contextlib
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pytest_mieb.plugin.options import Settings

USAGE_PROPERTY = "mieb.api_usage"
WORKERINPUT_KEY = "mieb_api_run"
_USAGE_MODULE = "pytest_mieb.models.api.usage"


def configure(config: pytest.Config, settings: Settings) -> str:
    """Set the API settings of this process; returns the run id (the controller's, under
    xdist)."""
    from pytest_mieb.models.api import settings as api_settings

    run_id = getattr(config, "workerinput", {}).get(WORKERINPUT_KEY)
    try:
        api_settings.configure(
            embedding_cache_dir=settings.cache_dir,
            max_requests=settings.api_max_requests,
            run_id=run_id,
        )
    except ValueError as exc:  # a malformed MIEB_API_MAX_REQUESTS
        raise pytest.UsageError(str(exc)) from None
    return run_id or uuid.uuid4().hex


@contextlib.contextmanager
def recorded(record_property: Callable[[str, Any], None]) -> Iterator[None]:
    """Record what the block used of the APIs (also when it fails, e.g. on the budget)."""
    module = sys.modules.get(_USAGE_MODULE)
    before = module.snapshot() if module is not None else {}
    try:
        yield
    finally:
        module = sys.modules.get(_USAGE_MODULE)
        if module is not None:
            used = module.difference(module.snapshot(), before)
            if used:
                record_property(USAGE_PROPERTY, json.dumps(used, sort_keys=True))


class Tally:
    """API usage of the whole session, from the items' reports."""

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = {}

    def add_report(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == USAGE_PROPERTY:
                from pytest_mieb.models.api import usage

                usage.add(self.counts, json.loads(value))

    def write(self, terminalreporter: Any) -> None:
        if not self.counts:
            return
        from pytest_mieb.models.api import settings, usage

        terminalreporter.section("MIEB API usage")
        for model, counts in sorted(self.counts.items()):
            terminalreporter.write_line(usage.describe(model, counts))
        current = settings.current()
        budget = current.max_requests
        sent = sum(c.get("requests", 0) for c in self.counts.values())
        if budget is not None:
            terminalreporter.write_line(f"request budget: {sent} of {budget} requests used")
        terminalreporter.write_line(f"API cache: {current.cache_dir}")
