"""Collection: suite files become pytest items, one per (task, model).

Items are real `pytest.Function`s calling `run_mieb_item`, so fixtures (`mieb_encoder`,
`record_property`, users' overrides in conftest.py) work exactly as for ordinary tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_mieb.plugin.session import STATE
from pytest_mieb.tasks.spec import TaskSpec
from pytest_mieb.tasks.suites import Suite, load_suite_file


class SuiteFile(pytest.File):
    """A TOML suite file: yields one `MiebItem` per task and model."""

    def collect(self) -> Iterator[pytest.Item]:
        state = self.config.stash[STATE]
        suite: Suite = load_suite_file(self.path)
        local_benchmarks = {b.name: b for b in suite.benchmarks}
        state.benchmarks.update(local_benchmarks)
        lines = task_lines(self.path.read_text(encoding="utf-8"))
        for spec in suite.tasks:
            marks = state.markers_for(spec, local_benchmarks)
            register_markers(self.config, marks)
            for model in state.settings.models or (None,):
                item = MiebItem.from_suite(self, spec, model, marks)
                item.lineno = lines.get(spec.name, 0)
                yield item


def register_markers(config: pytest.Config, names: list[str]) -> None:
    """Markers named in a user's suite file count as registered (for --strict-markers)."""
    known = {line.split(":")[0].strip() for line in config.getini("markers")}
    for name in names:
        if name not in known:
            config.addinivalue_line("markers", f"{name}: declared in a pytest-mieb suite file")


def task_lines(text: str) -> dict[str, int]:
    """0-based line of each `name = "..."` in a suite file, for report locations."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines()):
        match = _NAME_LINE.match(line)
        if match:
            found.setdefault(match.group(1), number)
    return found


def run_mieb_item(request: pytest.FixtureRequest, mieb_encoder: Any, record_property: Any) -> None:
    """The body of every MIEB item: evaluate, record, persist, gate."""
    request.config.stash[STATE].run_item(request.node, mieb_encoder, record_property)


_NAME_LINE = re.compile(r'^\s*name\s*=\s*"([^"]+)"')


class MiebItem(pytest.Function):
    spec: TaskSpec
    mieb_model: str | None
    lineno: int = 0

    @classmethod
    def from_suite(
        cls, parent: SuiteFile, spec: TaskSpec, model: str | None, marks: list[str]
    ) -> MiebItem:
        name = spec.name if model is None else f"{spec.name}[{model}]"
        keywords: dict[str, Any] = dict.fromkeys(spec.keywords, True)
        item = cls.from_parent(parent, name=name, callobj=run_mieb_item, keywords=keywords)
        item.spec = spec
        item.mieb_model = model
        for mark in marks:
            item.add_marker(mark)
        return item

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.lineno, f"{self.spec.type} {self.name}"
