"""Running the tests against each mutant, a few at a time, each in a fresh copy of the package.

Every worker slot owns a copy of the checkout (tracked and untracked-but-not-ignored files),
so a mutant is a real file on disk: pytester subprocesses and ``python -m pytest_mieb`` see it
too (``PYTHONPATH`` points at the copy). Tests run in a child forked from this process after
it has imported the heavy third-party modules the tests use (torch, numpy, scikit-learn...),
so a mutant costs the tests it runs, not an interpreter start. Nothing from ``pytest_mieb``
is imported here before forking: each child imports the package afresh, mutant included.

Bytecode: the copy's package is compiled once with hash-checked ``.pyc`` files and children
never write bytecode, so a mutant that keeps the file's size and mtime can never be served
from a stale cache.
"""

from __future__ import annotations

import compileall
import contextlib
import os
import py_compile
import shutil
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

#: Modules that read the environment when imported (the test conftest sets it first), or that
#: belong to the checkout: never imported before forking.
_NOT_PRELOADED = (
    "pytest_mieb",
    "tests",
    "conftest",
    "mutation",
    "__main__",
    "huggingface_hub",
    "datasets",
    "transformers",
    "open_clip",
    "timm",
)
_POLL_S = 0.05
_USAGE_ERROR = 4  # pytest's exit code, also for "not found: <test id>"


@dataclass
class Outcome:
    status: str  # killed | timeout | survived | error
    seconds: float
    tests_run: int
    detail: str = ""


def checkout_files(root: Path) -> list[str]:
    """Tracked files plus untracked ones git does not ignore (new tests count too)."""
    out = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [name for name in out.split("\0") if name and (root / name).is_file()]


def make_copy(root: Path, dest: Path) -> Path:
    """A copy of the checkout at `dest` with its package compiled to hash-checked bytecode."""
    if dest.exists():
        shutil.rmtree(dest)
    for name in checkout_files(root):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
    compileall.compile_dir(
        dest / "pytest_mieb",
        quiet=1,
        invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
    )
    return dest


def share_bytecode(source: Path, copies: Sequence[Path]) -> None:
    """Give every copy the bytecode the baseline left in `source` (pytest's rewritten test
    modules), so that children, which write none, do not rewrite the tests every time."""
    for pyc in source.rglob("__pycache__/*.pyc"):
        relative = pyc.relative_to(source)
        for copy in copies:
            target = copy / relative
            if copy != source and not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(pyc, target)


def _enter_copy(copy: Path, root: Path) -> None:
    """In a child: make `copy` the checkout that imports and subprocesses see."""
    os.chdir(copy)
    here = {str(root), str(root.resolve())}
    sys.path[:] = [str(copy)] + [p for p in sys.path if p not in here and p != ""]
    kept = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p not in here]
    os.environ["PYTHONPATH"] = os.pathsep.join([str(copy), *kept])
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    sys.dont_write_bytecode = True


def fork_pytest(
    copy: Path,
    root: Path,
    args: Sequence[str],
    log: Path,
    plugins: Sequence[object] = (),
    before: Callable[[], None] | None = None,
    after: Callable[[], None] | None = None,
    write_bytecode: bool = False,
) -> int:
    """Start ``pytest args`` in a forked child inside `copy`; returns its pid (its own
    process group, so a timeout can kill the subprocesses it started too)."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        # the child may have done it already, or have finished
        with contextlib.suppress(PermissionError, ProcessLookupError):
            os.setpgid(pid, pid)
        return pid
    code = 99
    try:
        os.setpgid(0, 0)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        _enter_copy(copy, root)
        sys.dont_write_bytecode = not write_bytecode
        import pytest

        if before is not None:
            before()
        code = int(pytest.main(list(args), plugins=list(plugins)))
        if after is not None:
            after()
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def wait(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def preload(module_names: Sequence[str]) -> None:
    """Import what the tests import (third-party only), so each fork starts with it loaded."""
    for name in module_names:
        if name.split(".")[0] in _NOT_PRELOADED or name in sys.modules:
            continue
        with contextlib.suppress(BaseException):
            __import__(name)


def loaded_modules(copy: Path, root: Path) -> list[str]:
    """Names in sys.modules that come from outside the checkout (for `preload`)."""
    inside = (str(copy), str(root))
    names = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None) or ""
        if name.split(".")[0] not in _NOT_PRELOADED and not file.startswith(inside):
            names.append(name)
    return names


@dataclass
class Job:
    """A mutant to run: the file to change, its mutated text and the pytest arguments."""

    key: int
    path: str
    text: str
    args: list[str]
    timeout: float
    n_tests: int

    def by_file(self) -> Job | None:
        """The same job naming test files instead of test ids, or None if it already does.

        For a mutant that renames parametrized tests (their ids come from the mutated code),
        whose ids from the baseline then no longer exist.
        """
        options = [a for a in self.args if a.startswith("-")]
        files = list(dict.fromkeys(a.split("::")[0] for a in self.args if not a.startswith("-")))
        chosen = [*options, *files]
        return None if chosen == self.args else replace(self, args=chosen)


def run_jobs(
    jobs: Sequence[Job],
    copies: Sequence[Path],
    root: Path,
    logs: Path,
    done: Callable[[Job, Outcome], None],
) -> None:
    """Run every job, one per copy at a time; `done` hears each outcome as it comes."""
    pending = deque(jobs)
    running: dict[int, tuple[int, Job, float]] = {}  # pid -> (slot, job, started)
    free = list(range(len(copies)))
    originals: dict[str, str] = {}
    try:
        while pending or running:
            while pending and free:
                slot, job = free.pop(), pending.popleft()
                target = copies[slot] / job.path
                originals.setdefault(job.path, target.read_text(encoding="utf-8"))
                target.write_text(job.text, encoding="utf-8")
                pid = fork_pytest(copies[slot], root, job.args, logs / f"slot-{slot}.log")
                running[pid] = (slot, job, time.monotonic())
            pid, status = os.waitpid(-1, os.WNOHANG)
            now = time.monotonic()
            if pid == 0:
                for child, (_, job, started) in running.items():
                    if now - started > job.timeout:
                        _kill_group(child)
                time.sleep(_POLL_S)
                continue
            if pid not in running:
                continue
            slot, job, started = running.pop(pid)
            code = os.waitstatus_to_exitcode(status)
            (copies[slot] / job.path).write_text(originals[job.path], encoding="utf-8")
            free.append(slot)
            retry = job.by_file() if code == _USAGE_ERROR else None
            if retry is not None:
                pending.appendleft(retry)
            else:
                done(job, _outcome(code, now - started, job, logs / f"slot-{slot}.log"))
    finally:  # interrupted: take the children and what they started down too
        for child in running:
            _kill_group(child)
            os.waitpid(child, 0)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _outcome(code: int, seconds: float, job: Job, log: Path) -> Outcome:
    if code == 0:
        return Outcome("survived", seconds, job.n_tests)
    if code == -signal.SIGKILL and seconds >= job.timeout:
        return Outcome("timeout", seconds, job.n_tests)
    if code in (1, 2, 3):  # tests failed, collection broke (import error), internal error
        return Outcome("killed", seconds, job.n_tests)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    return Outcome("error", seconds, job.n_tests, f"exit {code}\n{tail}")
