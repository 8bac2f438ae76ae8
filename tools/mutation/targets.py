"""What is mutated, which tests guard it, and which surviving mutants are known equivalent.

`TARGETS` maps module globs (relative to the repository root) to the test paths that exercise
them. Globs rather than file names, because functions move between the modules of a package;
a glob that matches nothing is an error, so the mapping cannot silently go stale.

`equivalent.toml` (beside this file) lists mutants that no test can kill because they do not
change behaviour, each with the reason. A mutant is recognised by its file, the text of its
line and the mutation itself, not by line number, so the list survives unrelated edits.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from mutation.operators import Mutant

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

EQUIVALENTS_FILE = Path(__file__).with_name("equivalent.toml")

#: module glob -> test paths that exercise it (files or folders). Only the tests that run a
#: mutated line are run for it (see `coverage`), so a generous list costs little per mutant.
TARGETS: dict[str, tuple[str, ...]] = {
    "pytest_mieb/metrics/*.py": ("tests/evaluators", "tests/oracles/test_oracle_retrieval.py"),
    "pytest_mieb/evaluators/*.py": ("tests/evaluators", "tests/oracles"),
    "pytest_mieb/embed/cache.py": ("tests/embed", "tests/plugin/test_cache_dir_run.py"),
    "pytest_mieb/results/files.py": (
        "tests/results",
        "tests/cli",
        "tests/plugin/test_gate_messages.py",
    ),
    "pytest_mieb/results/gates.py": (
        "tests/results",
        "tests/cli",
        "tests/plugin/test_gate_messages.py",
    ),
}


@dataclass(frozen=True)
class Target:
    """One module to mutate and the tests that guard it."""

    path: str
    tests: tuple[str, ...]


def resolve_targets(root: Path, only: list[str] | None = None) -> list[Target]:
    """The modules matched by `TARGETS` (each once, first glob wins), optionally only those
    whose path contains one of `only`."""
    seen: dict[str, Target] = {}
    for pattern, tests in TARGETS.items():
        matched = sorted(root.glob(pattern))
        if not matched:
            raise SystemExit(f"mutation target {pattern!r} matches no file: update TARGETS")
        for file in matched:
            rel = file.relative_to(root).as_posix()
            missing = [t for t in tests if not (root / t).exists()]
            if missing:
                raise SystemExit(f"tests for {pattern!r} do not exist: {', '.join(missing)}")
            seen.setdefault(rel, Target(rel, tests))
    targets = list(seen.values())
    if only:
        targets = [t for t in targets if any(o in t.path for o in only)]
        if not targets:
            raise SystemExit(f"no mutation target matches {only}")
    return targets


@dataclass(frozen=True)
class Equivalent:
    file: str
    line: str
    mutation: str
    reason: str

    def matches(self, mutant: Mutant) -> bool:
        return (
            self.file == mutant.path
            and self.line == mutant.source_line
            and self.mutation == mutant.description
        )


def load_equivalents(path: Path = EQUIVALENTS_FILE) -> list[Equivalent]:
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = []
    for entry in data.get("equivalent", []):
        missing = {"file", "line", "mutation", "reason"} - set(entry)
        if missing:
            raise SystemExit(f"{path}: entry {entry} lacks {sorted(missing)}")
        entries.append(Equivalent(entry["file"], entry["line"], entry["mutation"], entry["reason"]))
    return entries
