"""Which tests run which lines of the mutated modules, recorded once in a baseline run.

A mutant then runs only the tests that execute one of its lines (fastest first, stopping at
the first failure), instead of every test of its module. Lines run outside any function body
(module and class level: constants, defaults, decorators) run at import and can affect every
test, so a mutant there runs all of its module's tests. Code that runs in a process a test
starts (pytester subprocesses, the CLI, forked workers) is not traced, so the tests that start
processes (seen through audit events) run for every mutant of their module.
"""

from __future__ import annotations

import inspect
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest

#: The "test" that runs import-time lines.
AT_IMPORT = "<import>"
_FUNCTION_BODY = inspect.CO_OPTIMIZED | inspect.CO_NEWLOCALS
_PROCESS_EVENTS = frozenset({"subprocess.Popen", "os.fork", "os.forkpty", "os.posix_spawn",
                             "os.system", "os.exec", "os.spawn"})  # fmt: skip


class LineTracer:
    """A pytest plugin: records, per test, the lines it runs in `files` and how long it takes."""

    def __init__(self, files: set[str]) -> None:
        self.files = files
        self.current: str | None = None
        self.lines: dict[tuple[str, int], set[str]] = defaultdict(set)
        self.durations: dict[str, float] = {}
        self.order: list[str] = []
        self.failed: list[str] = []
        self.spawning: set[str] = set()

    def _global(self, frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename in self.files:
            return self._local
        return None

    def _local(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            code = frame.f_code
            who = self.current if code.co_flags & _FUNCTION_BODY == _FUNCTION_BODY else None
            self.lines[(code.co_filename, frame.f_lineno)].add(who or AT_IMPORT)
        return self._local

    def _audit(self, event: str, args: tuple[Any, ...]) -> None:
        if event in _PROCESS_EVENTS and self.current is not None:
            self.spawning.add(self.current)

    def start(self) -> None:
        sys.addaudithook(self._audit)  # stays for the life of the (forked, short-lived) process
        threading.settrace(self._global)
        sys.settrace(self._global)

    def stop(self) -> None:
        sys.settrace(None)
        threading.settrace(None)  # type: ignore[arg-type]

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Iterator[None]:
        self.current = item.nodeid
        self.order.append(item.nodeid)
        started = time.perf_counter()
        try:
            return (yield)
        finally:
            self.durations[item.nodeid] = time.perf_counter() - started
            self.current = None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.failed.append(report.nodeid)

    def as_json(self, root: str) -> dict[str, Any]:
        """Lines keyed ``"relative/path.py:line"``, paths relative to `root`."""
        prefix = root.rstrip("/") + "/"
        return {
            "lines": {
                f"{file.removeprefix(prefix)}:{line}": sorted(tests)
                for (file, line), tests in self.lines.items()
            },
            "durations": self.durations,
            "order": self.order,
            "failed": self.failed,
            "spawning": sorted(self.spawning),
        }
