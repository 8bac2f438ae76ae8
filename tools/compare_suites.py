"""Prove that an edit of the packaged suites changed no task: compare every TaskSpec and
benchmark read from `suites/` at a git revision with those of the working tree.

Both sides are read by the current suite reader, so params are compared after the protocol
defaults are filled in; every field of every spec must be equal (`source` by its path
inside `suites/`). Use it after reformatting a suite file (lifting shared values into
`[defaults]`, dropping values equal to a default, ...):

    python tools/compare_suites.py [REV]      # default REV: HEAD

prints each difference (exit status 1), or "identical".
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_mieb.tasks.suites import load_suites  # noqa: E402


def read(suites: Path) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """{task: {field: value}} and {benchmark: Benchmark} of a `suites/` directory."""
    loaded = load_suites([suites])
    specs = {}
    for suite in loaded:
        for spec in suite.tasks:
            fields = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}
            fields["source"] = Path(spec.source).relative_to(suites.resolve()).as_posix()
            specs[spec.name] = fields
    benchmarks = {b.name: b for suite in loaded for b in suite.benchmarks}
    return specs, benchmarks


def suites_at(rev: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", rev, "suites"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "suites"


def strict(value: Any) -> Any:
    """`value` with its types spelled out (1, 1.0 and True differ), dict order ignored."""
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, strict(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(strict(v) for v in value))
    if dataclasses.is_dataclass(value):
        return strict(dataclasses.asdict(value))
    return (type(value).__name__, value)


def differences(before: Path, after: Path) -> list[str]:
    old_specs, old_benchmarks = read(before)
    new_specs, new_benchmarks = read(after)
    out = []
    if list(old_specs) != list(new_specs):
        out.append(f"task names or order: {list(old_specs)} != {list(new_specs)}")
    for name in [n for n in old_specs if n in new_specs]:
        for field, value in old_specs[name].items():
            if strict(new_specs[name][field]) != strict(value):
                out.append(f"{name}.{field}: {value!r} != {new_specs[name][field]!r}")
    if strict(old_benchmarks) != strict(new_benchmarks):
        out.append(f"benchmarks: {old_benchmarks} != {new_benchmarks}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", nargs="?", default="HEAD", help="git revision (default HEAD)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mieb-suites-") as tmp:
        found = differences(suites_at(args.rev, Path(tmp)), ROOT / "suites")
        n_tasks = len(read(ROOT / "suites")[0])
    for line in found:
        print(line)
    print("identical" if not found else f"{len(found)} differences")
    print(f"({n_tasks} tasks compared with {args.rev})", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
