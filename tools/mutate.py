"""Mutation testing with mutmut: break the scoring code on purpose and check that a test fails.

What is mutated and which tests may run: ``[tool.mutmut]`` in pyproject.toml. Mutants that no
test can kill because they do not change behaviour: `tools/mutation_equivalent.toml`, each
with its reason. See docs/testing.md.

Usage, from the repository root, with mutmut installed (``pip install -e .[dev]``):

    python tools/mutate.py                        # every target, one worker per CPU
    python tools/mutate.py -j 2 "pytest_mieb.results.gates*"   # mutmut's name patterns
    python tools/mutate.py --report               # classify the last run, run nothing
    python tools/mutate.py NAME... --check-killed tests/x.py   # do today's tests kill them?

This wrapper adds two things to ``mutmut run``: ``PYTHONPATH`` points at mutmut's copy
(``mutants/``), so the tests that start subprocesses (pytester, the CLI) run the mutant too;
and survivors are checked against the list of equivalent mutants. Exit status: 0 when every
survivor is listed as equivalent, 1 otherwise, 2 when mutants are left unchecked.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENTS_FILE = ROOT / "tools" / "mutation_equivalent.toml"

#: statuses that mean no test noticed the mutant ("no tests": no test calls the function)
SURVIVED = ("survived", "no tests")
UNFINISHED = ("not checked",)

_RESULT_LINE = re.compile(r"^\s*(\S+): (.+?)\s*$")


@dataclass(frozen=True)
class Equivalent:
    """A mutant that does not change behaviour: mutmut's name, its new line, and why."""

    mutant: str
    change: str
    reason: str


def parse_results(text: str) -> dict[str, str]:
    """``mutmut results`` output -> {mutant name: status}."""
    found = {}
    for line in text.splitlines():
        match = _RESULT_LINE.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def changed_lines(diff: str) -> tuple[list[str], list[str]]:
    """The removed and added lines of a unified diff, stripped, without the file headers."""
    removed, added = [], []
    for line in diff.splitlines():
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("-"):
            removed.append(line[1:].strip())
        elif line.startswith("+"):
            added.append(line[1:].strip())
    return removed, added


def mutant_lines(diff: str) -> list[str]:
    """What identifies a mutant's change: its added lines, or, for a mutant that only deletes
    (an argument on a line of its own), the deleted ones."""
    removed, added = changed_lines(diff)
    return added or removed


def load_equivalents(path: Path = EQUIVALENTS_FILE) -> dict[str, Equivalent]:
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    entries = {}
    for entry in data.get("equivalent", []):
        missing = {"mutant", "change", "reason"} - set(entry)
        if missing:
            raise SystemExit(f"{path}: entry {entry} lacks {sorted(missing)}")
        entries[entry["mutant"]] = Equivalent(entry["mutant"], entry["change"], entry["reason"])
    return entries


@dataclass
class Report:
    survivors: list[str]  # not listed as equivalent: a missing test
    equivalent: list[str]  # listed, and the listed change is still the mutant's change
    stale: list[str]  # listed, but killed now, gone, or a different change under that name
    unchecked: list[str]


def classify(
    statuses: dict[str, str], added_by_name: dict[str, list[str]], known: dict[str, Equivalent]
) -> Report:
    """Sort the survivors into equivalent ones and missing tests. An entry matches only while
    its ``change`` is still one of the mutant's lines (`mutant_lines`), since mutmut numbers
    mutants by position and an edit to the function can give the name to another mutation."""
    report = Report([], [], [], sorted(n for n, s in statuses.items() if s in UNFINISHED))
    for name in sorted(n for n, s in statuses.items() if s in SURVIVED):
        entry = known.get(name)
        if entry is not None and entry.change in added_by_name.get(name, []):
            report.equivalent.append(name)
        else:
            report.survivors.append(name)
    listed_ok = set(report.equivalent)
    report.stale = sorted(n for n in known if n not in listed_ok)
    return report


def mutmut_executable() -> str | None:
    """mutmut beside this interpreter (a venv's python run by its path, venv not activated),
    else the one on PATH."""
    beside = Path(sys.executable).parent / "mutmut"
    return str(beside) if beside.is_file() else shutil.which("mutmut")


def _mutmut(*args: str, capture: bool = False) -> str:
    exe = mutmut_executable()
    if exe is None:
        raise SystemExit("mutmut is not installed: pip install -e .[dev]")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "mutants")}
    done = subprocess.run(
        [exe, *args], cwd=ROOT, env=env, text=True, capture_output=capture, check=False
    )
    if done.returncode != 0 and args[0] != "run":
        raise SystemExit(f"mutmut {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout if capture else ""


def check_command(tests: list[str]) -> list[str]:
    """The pytest run of `check_killed`: ``-P`` keeps the checkout off ``sys.path``, so the
    package imported is mutmut's mutated copy (``PYTHONPATH``), and the tests are today's."""
    return [sys.executable, "-P", "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]


def check_killed(names: list[str], tests: list[str]) -> int:
    """Run `tests` once per mutant of the last mutmut run (``MUTANT_UNDER_TEST`` selects it):
    does a test written since that run kill it? Prints killed / SURVIVES per mutant."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "mutants")}
    survived = 0
    for name in names:
        done = subprocess.run(
            check_command(tests),
            cwd=ROOT,
            env={**env, "MUTANT_UNDER_TEST": name},
            capture_output=True,
            check=False,
        )
        survived += done.returncode == 0
        print(f"{'SURVIVES' if done.returncode == 0 else 'killed'} {name}")
    return 1 if survived else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="mutmut mutant name patterns (default: all)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--report", action="store_true", help="classify the last run only")
    parser.add_argument(
        "--check-killed",
        nargs="+",
        metavar="TEST",
        help="run these tests against each named mutant (full names) instead of mutmut",
    )
    args = parser.parse_args()
    if args.check_killed:
        return check_killed(args.names, args.check_killed)
    if not args.report:
        _mutmut("run", "--max-children", str(args.jobs), *args.names)
    statuses = parse_results(_mutmut("results", capture=True))
    known = load_equivalents()
    # a diff costs one mutmut start: only the listed survivors need theirs, to be matched
    listed = [n for n, s in statuses.items() if s in SURVIVED and n in known]
    added = {n: mutant_lines(_mutmut("show", n, capture=True)) for n in listed}
    report = classify(statuses, added, known)
    for name in report.survivors:
        print(f"SURVIVED {name} ({statuses[name]})")
    if report.survivors:
        print("(`mutmut show NAME` prints a mutant's diff)")
    print(f"{len(report.equivalent)} equivalent survivors (tools/mutation_equivalent.toml)")
    for name in report.stale:
        print(f"STALE equivalent entry (killed, gone or changed): {name}")
    print(f"{len(report.survivors)} survivors without a test, {len(report.unchecked)} unchecked")
    if report.survivors:
        return 1
    return 2 if report.unchecked else 0


if __name__ == "__main__":
    sys.exit(main())
