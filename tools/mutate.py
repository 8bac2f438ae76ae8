"""Mutation testing: break the scoring code on purpose, one small change at a time, and check
that some test fails each time.

Targets and the tests that guard them: `tools/mutation/targets.py`; operators:
`tools/mutation/operators.py`; known equivalent mutants, each with its reason:
`tools/mutation/equivalent.toml`. See docs/testing.md.

Usage, from the repository root, in the project's environment:

    python tools/mutate.py                      # every target, all CPUs
    python tools/mutate.py gates.py -j 1        # targets whose path contains "gates.py"
    python tools/mutate.py --list metrics/      # the mutants, without running anything
    python tools/mutate.py --json report.json   # also write every outcome as JSON

It prints each surviving mutant as ``path:line  before  ->  after`` and exits 1 when a mutant
that is not listed as equivalent survives.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutation.coverage import AT_IMPORT  # noqa: E402
from mutation.operators import Mutant, check_round_trip, list_mutants, mutate  # noqa: E402
from mutation.runner import (  # noqa: E402
    Job,
    Outcome,
    fork_pytest,
    loaded_modules,
    make_copy,
    preload,
    run_jobs,
    share_bytecode,
    wait,
)
from mutation.targets import Equivalent, Target, load_equivalents, resolve_targets  # noqa: E402

PYTEST_ARGS = ["-q", "-pno:cacheprovider"]  # one word each: see Job.by_file


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", help="mutate only targets whose path contains this")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--json", type=Path, help="write every outcome here")
    parser.add_argument("--line", type=int, help="only mutants on this line (with one target)")
    parser.add_argument(
        "--tests",
        nargs="+",
        help="run these tests for every mutant instead of tracing which tests run its lines "
        "(quick check that a new test kills a mutant: with --line)",
    )
    parser.add_argument(
        "--skip-equivalent", action="store_true", help="do not run mutants listed as equivalent"
    )
    parser.add_argument("--timeout-factor", type=float, default=3.0)
    parser.add_argument("--workdir", type=Path, help="where the copies go (default: a temp dir)")
    return parser.parse_args()


def _tests_under(order: list[str], paths: tuple[str, ...]) -> list[str]:
    prefixes = tuple(p.rstrip("/") for p in paths)
    return [t for t in order if any(t == p or t.startswith((p + "/", p + "::")) for p in prefixes)]


@dataclass
class Baseline:
    """What the unmutated run recorded: who runs which line, how long each test takes."""

    lines: dict[str, list[str]]
    durations: dict[str, float]
    order: list[str]
    spawning: set[str]


def _baseline(targets: list[Target], copies: list[Path], work: Path) -> Baseline:
    """One traced run of every target's tests."""
    from mutation.coverage import LineTracer

    copy = copies[0]
    files = {str(copy / t.path) for t in targets}
    tests = list(dict.fromkeys(p for t in targets for p in t.tests))
    tracer = LineTracer(files)
    out = work / "baseline.json"

    def save() -> None:
        tracer.stop()
        data = tracer.as_json(str(copy))
        data["modules"] = loaded_modules(copy, ROOT)
        out.write_text(json.dumps(data))

    log = work / "baseline.log"
    pid = fork_pytest(
        copy, ROOT, [*PYTEST_ARGS, *tests], log, [tracer], tracer.start, save, write_bytecode=True
    )
    try:
        code = wait(pid)
    except BaseException:
        os.killpg(pid, signal.SIGKILL)
        raise
    if code != 0 or not out.exists():
        sys.exit(f"the unmutated tests do not pass (exit {code}); see {log}")
    data = json.loads(out.read_text())
    preload(data["modules"])
    share_bytecode(copy, copies)
    return Baseline(data["lines"], data["durations"], data["order"], set(data["spawning"]))


def _job(mutant: Mutant, key: int, text: str, target: Target, base: Baseline, factor: float) -> Job:
    """The tests that can see the mutant: those running its lines (all of the module's for a
    line run at import) plus those whose subprocesses might; none: it is not covered."""
    mine = _tests_under(base.order, target.tests)
    covering: set[str] = set()
    for line in range(mutant.line, mutant.end_line + 1):
        covering.update(base.lines.get(f"{mutant.path}:{line}", ()))
    if AT_IMPORT in covering:
        chosen = mine
    else:
        chosen = [t for t in mine if t in covering or t in base.spawning]
    chosen = sorted(chosen, key=lambda t: base.durations.get(t, 0.0))
    seconds = sum(base.durations.get(t, 1.0) for t in chosen)
    args = ["-x", *PYTEST_ARGS, *chosen]
    return Job(key, mutant.path, text, args, factor * seconds + 30, len(chosen))


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # so that running children are killed on the way out


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    args = _parse()
    targets = resolve_targets(ROOT, args.only)
    equivalents = load_equivalents()
    mutants: list[tuple[Mutant, Target, Equivalent | None]] = []
    for target in targets:
        source = (ROOT / target.path).read_text(encoding="utf-8")
        if not check_round_trip(source):
            sys.exit(f"{target.path}: ast.unparse does not round-trip; cannot mutate it")
        for mutant in list_mutants(target.path, source):
            if args.line is None or mutant.line <= args.line <= mutant.end_line:
                match = next((e for e in equivalents if e.matches(mutant)), None)
                mutants.append((mutant, target, match))
    if args.list:
        for mutant, _, match in mutants:
            note = "  [equivalent]" if match else ""
            print(f"{mutant.where}  {mutant.description}{note}")
        print(f"{len(mutants)} mutants in {len(targets)} modules")
        return 0

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mieb-mutate-", dir=args.workdir) as tmp:
        work = Path(tmp)
        copies = [make_copy(ROOT, work / f"copy-{i}") for i in range(max(1, args.jobs))]
        base = None
        if not args.tests:
            print(f"baseline: tracing the tests of {len(targets)} modules ...", flush=True)
            base = _baseline(targets, copies, work)
            took = time.monotonic() - started
            print(f"baseline: {len(base.order)} tests in {took:.0f} s", flush=True)
        jobs, index = [], {}
        outcomes: dict[int, Outcome] = {}
        for key, (mutant, target, match) in enumerate(mutants):
            if match and args.skip_equivalent:
                continue
            source = (ROOT / mutant.path).read_text(encoding="utf-8")
            text = mutate(source, mutant.index)
            if base is None:
                job = Job(key, mutant.path, text, ["-x", *PYTEST_ARGS, *args.tests], 600, 1)
            else:
                job = _job(mutant, key, text, target, base, args.timeout_factor)
            index[key] = (mutant, match)
            if job.n_tests:
                jobs.append(job)
            else:
                outcomes[key] = Outcome("not covered", 0.0, 0)
        last_note = [time.monotonic()]

        def done(job: Job, outcome: Outcome) -> None:
            outcomes[job.key] = outcome
            mutant, match = index[job.key]
            if outcome.status == "survived" and not match:
                print(f"SURVIVED {mutant.where}  {mutant.description}", flush=True)
            elif outcome.status == "error":
                print(f"ERROR {mutant.where}  {mutant.description}\n{outcome.detail}", flush=True)
            if time.monotonic() - last_note[0] > 60:
                last_note[0] = time.monotonic()
                elapsed = time.monotonic() - started
                print(
                    f"... {len(outcomes)}/{len(jobs)} mutants, {elapsed / 60:.1f} min", flush=True
                )

        run_jobs(jobs, copies, ROOT, work, done)
    elapsed = time.monotonic() - started
    whole = args.line is None
    return _report(mutants, index, outcomes, equivalents if whole else [], elapsed, args.json)


def _report(
    mutants: list[tuple[Mutant, Target, Equivalent | None]],
    index: dict[int, tuple[Mutant, Equivalent | None]],
    outcomes: dict[int, Outcome],
    equivalents: list[Equivalent],
    elapsed: float,
    json_path: Path | None,
) -> int:
    """Counts per module, then equivalent survivors with their reasons, then the rest."""
    by_module: dict[str, dict[str, int]] = {}
    survivors, equivalent_survivors, equivalent_killed = [], [], []
    for key, (mutant, match) in index.items():
        status = outcomes[key].status
        if status in ("survived", "not covered") and match:
            status = "equivalent"
            equivalent_survivors.append((mutant, match))
        elif status in ("survived", "not covered"):
            survivors.append((mutant, status))
        elif match:
            equivalent_killed.append(mutant)
        counts = by_module.setdefault(mutant.path, {})
        counts[status] = counts.get(status, 0) + 1
    print(f"\n{len(index)} mutants in {elapsed / 60:.1f} min")
    for path, counts in sorted(by_module.items()):
        print(f"  {path}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    if equivalent_survivors:
        print(f"\nequivalent (tools/mutation/equivalent.toml): {len(equivalent_survivors)}")
        for mutant, match in equivalent_survivors:
            print(f"  {mutant.where}  {mutant.description}\n      because {match.reason}")
    for mutant in equivalent_killed:
        print(f"KILLED BUT LISTED AS EQUIVALENT: {mutant.where}  {mutant.description}")
    files = {mutant.path for mutant, _ in index.values()}
    used = {id(match) for _, match in index.values() if match is not None}
    for entry in equivalents:
        if entry.file in files and id(entry) not in used:
            print(f"STALE equivalent.toml entry (no such mutant): {entry.file}: {entry.line}")
    print(f"\nsurviving mutants: {len(survivors)}")
    for mutant, status in survivors:
        note = "  [no test runs this line]" if status == "not covered" else ""
        print(f"  {mutant.where}  {mutant.description}{note}")
    if json_path is not None:
        rows = [
            {
                "file": mutant.path,
                "line": mutant.line,
                "source_line": mutant.source_line,
                "mutation": mutant.description,
                "status": outcomes[key].status,
                "equivalent": match.reason if match else None,
                "seconds": round(outcomes[key].seconds, 2),
                "tests_run": outcomes[key].tests_run,
            }
            for key, (mutant, match) in index.items()
        ]
        json_path.write_text(json.dumps(rows, indent=1))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
