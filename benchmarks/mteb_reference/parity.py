"""Parity of pytest-mieb's model adapters with mteb 2.26's wrappers: one line per family.

Run from the repository root with mteb's venv, pointing at the project's venv:

    /work/mteb-venv/bin/python benchmarks/mteb_reference/parity.py --compare-with .venv/bin/python
    ... [--family dinov2 --family open_clip] [--work /tmp/parity]

For each family (`parity_families.families()`): build its tiny checkpoint
(`benchmarks/tinymodels`), encode the probe inputs (`parity_families/probes.py`) through mteb's
own wrapper in this interpreter, encode them through pytest-mieb in the project's interpreter (a
subprocess running this file with `--ours`), and print
`family  checkpoint  max|diff|  ok/FAIL` (tolerance 1e-5) or why a side could not run.
Exit status 1 if any family fails. mteb is only ever imported here, on the mteb side.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # parity_families/, then benchmarks/ (tinymodels)

TOLERANCE = 1e-5


def _side_embed(side: str, family: str, checkpoint: Path, out: Path) -> None:
    module = importlib.import_module(f"parity_families.{side}.{family}")
    arrays = module.embed(checkpoint)
    np.savez(out, **{k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()})


def _compare(ours: Path, theirs: Path) -> tuple[float, list[str]]:
    a, b = np.load(ours), np.load(theirs)
    problems = sorted(set(a.files) ^ set(b.files))
    worst = 0.0
    for key in sorted(set(a.files) & set(b.files)):
        if a[key].shape != b[key].shape:
            problems.append(f"{key}: shape {a[key].shape} vs {b[key].shape}")
            continue
        worst = max(worst, float(np.max(np.abs(a[key] - b[key]))) if a[key].size else 0.0)
    return worst, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare-with", help="the project's python (runs pytest-mieb's side)")
    parser.add_argument("--family", action="append", help="only these families (repeatable)")
    parser.add_argument("--work", type=Path, help="where checkpoints and arrays go (default: tmp)")
    parser.add_argument("--ours", nargs=3, metavar=("FAMILY", "CHECKPOINT", "OUT"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args(argv)
    if args.ours:
        family, checkpoint, out = args.ours
        _side_embed("ours", family, Path(checkpoint), Path(out))
        return 0
    import parity_families
    import tinymodels

    known = parity_families.families()
    families = args.family or list(known)
    work = args.work or Path(tempfile.mkdtemp(prefix="mieb-parity-"))
    failed = False
    for family in families:
        checkpoint = tinymodels.build(known[family], work / "checkpoints")
        theirs, ours = work / f"{family}.mteb.npz", work / f"{family}.ours.npz"
        try:
            _side_embed("mteb_side", family, checkpoint, theirs)
        except Exception as exc:  # report and go on with the next family
            reason = f"{type(exc).__name__}: {exc}"
            print(f"{family:24s} {checkpoint.name:28s} mteb side failed: {reason}")
            failed = True
            continue
        done = subprocess.run(
            [args.compare_with or sys.executable, __file__, "--ours", family, str(checkpoint),
             str(ours)], capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["?"])[-1]
            print(f"{family:24s} {checkpoint.name:28s} pytest-mieb side failed: {last}")
            failed = True
            continue
        worst, problems = _compare(ours, theirs)
        status = "ok" if worst <= TOLERANCE and not problems else "FAIL"
        failed |= status != "ok"
        detail = f" ({'; '.join(problems)})" if problems else ""
        print(f"{family:24s} {checkpoint.name:28s} max|diff| = {worst:.2e}  {status}{detail}")
    print(json.dumps({"work": str(work)}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
