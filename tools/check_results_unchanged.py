"""Prove that a refactoring changed no score: run fixed workloads, compare their result files.

Workloads (all offline, weight-free models, so the numbers are exact and fast):

* the offline suite (`-m mieb_local`) with `baseline/pixels` and with `baseline/random`;
* every MIEB task on small hub-layout mirrors (`benchmarks/hubfarm`, all 132 tasks, or the
  51 MIEB(lite) ones with `--lite`) with `baseline/pixels`.

Usage, from the repository root:

    python tools/check_results_unchanged.py record SNAPSHOT_DIR    # before the change
    python tools/check_results_unchanged.py compare SNAPSHOT_DIR   # after it

`record` keeps each result file without the two fields that change from run to run
(`date`, `evaluation_time`, also inside the trailing `pytest_mieb` block); `compare` reruns
the workloads and prints every file whose content differs (exit status 1), or "identical".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VOLATILE = ("date", "evaluation_time")


def _offline_env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_HOME=str(work / "hf-home"),
        HF_DATASETS_CACHE=str(work / "hf-datasets"),
    )
    return env


def _pytest(label: str, work: Path, results: Path, *args: str) -> None:
    command = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--no-header",
        f"--rootdir={work}", f"--mieb-results-dir={results}", "--mieb-overwrite", *args,
    ]  # fmt: skip
    done = subprocess.run(command, cwd=work, env=_offline_env(work), text=True,
                          capture_output=True)  # fmt: skip
    tail = (done.stdout.strip().splitlines() or [""])[-1]
    print(f"  {label}: {tail}")


def _hubfarm_tasks(mirror: Path, lite: bool) -> list[str]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import hubfarm

    tasks = hubfarm.lite_tasks() if lite else hubfarm.supported_tasks()
    hubfarm.write_mirrors(tasks, mirror)
    return tasks


def run_workloads(work: Path, lite: bool) -> Path:
    results = work / "results"
    (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    local = work / "local-data"
    for model in ("baseline/pixels", "baseline/random"):
        _pytest(f"{model} offline suite", work, results, f"--mieb-model={model}",
                "-m", "mieb_local", f"--mieb-data-dir={local}")  # fmt: skip
    mirror = work / "mirror"
    tasks = _hubfarm_tasks(mirror, lite)
    _pytest(f"baseline/pixels on {len(tasks)} hubfarm mirrors", work, results / "hubfarm",
            "--mieb-model=baseline/pixels",
            f"--mieb-tasks={','.join(tasks)}", f"--mieb-data-dir={mirror}")  # fmt: skip
    return results


def _stable(payload: dict) -> dict:
    payload = {k: v for k, v in payload.items() if k not in VOLATILE}
    extra = payload.get("pytest_mieb")
    if isinstance(extra, dict):
        payload["pytest_mieb"] = {k: v for k, v in extra.items() if k not in VOLATILE}
    return payload


def snapshot(results: Path) -> dict[str, dict]:
    return {
        str(p.relative_to(results)): _stable(json.loads(p.read_text(encoding="utf-8")))
        for p in sorted(results.rglob("*.json"))
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("record", "compare"))
    parser.add_argument("snapshot", type=Path)
    parser.add_argument("--lite", action="store_true", help="hubfarm: MIEB(lite) tasks only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mieb-unchanged-") as tmp:
        now = snapshot(run_workloads(Path(tmp), args.lite))
    snapshot_file = args.snapshot / "results.json"
    if args.mode == "record":
        args.snapshot.mkdir(parents=True, exist_ok=True)
        snapshot_file.write_text(json.dumps(now, indent=1, sort_keys=True), encoding="utf-8")
        print(f"recorded {len(now)} result files in {snapshot_file}")
        return 0
    before = json.loads(snapshot_file.read_text(encoding="utf-8"))
    changed = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
    for name in changed:
        print(f"differs: {name}")
    print("identical" if not changed else f"{len(changed)} of {len(before)} files differ")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
