"""mteb 2.26 against pytest-mieb on the MIEB(lite)-shaped workload (`lite_common`), timed
from outside, in alternating rounds.

Run with mteb's venv (see run_mteb_cifar10.py for its set-up), from the repository root:

    /work/mteb-venv/bin/python benchmarks/mteb_reference/run_mteb_lite.py \
        --work /tmp/lite --rounds 3 --compare-with /work/main/.venv/bin/python

The driver writes (or reuses) the 51 lite tasks' hubfarm mirrors and the tiny CLIP, then
per round starts one fresh pytest-mieb process (the interpreter given by --compare-with,
with PYTHONPATH as this driver has it) and one fresh mteb process running this file with
`--worker`, each timed whole. The mteb worker:

* wraps mteb's own `CLIPModel` (the wrapper of openai/clip-*) around the tiny CLIP, with a
  `ModelMeta` copied from openai/clip-vit-base-patch32 under a local name;
* takes the tasks of mteb's `MIEB(lite)` benchmark and points each task's (an aggregate:
  each sub-task's) `metadata.dataset["path"]` at its mirror;
* runs one `mteb.evaluate(model, tasks, encode_kwargs={"batch_size": 32})` into a fresh
  `ResultCache`, marking each task's start and end (around mteb's `_evaluate_task`).

Output: one JSON document on stdout: whole-process wall and CPU seconds per round and
their medians, per-task wall / tower / overhead seconds (medians over rounds), images and
texts encoded, and the main scores of both harnesses.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from e2e_common import EncodeCounter, fresh_dir, offline_env, timed_process  # noqa: E402
from lite_common import (  # noqa: E402
    BATCH_SIZE,
    LITE_ROWS,
    run_pytest_mieb_lite,
    summarise_run,
    write_lite_inputs,
)
from mteb_clip import tiny_clip_for_mteb  # noqa: E402

MODEL_NAME = "local/tiny-clip-32"


def run_worker(model_dir: Path, data_dir: Path, results_dir: Path, stats_path: Path) -> None:
    """The timed process: load mteb, the model and the tasks, evaluate, exit."""
    counter = EncodeCounter().install().write_at_exit(stats_path)

    import mteb

    counter.mark("harness_ready")
    evaluate_module = sys.modules["mteb.evaluate"]
    inner = evaluate_module._evaluate_task

    def timed_task(model, task, **kwargs):
        name = task.metadata.name
        counter.mark(f"start {name}")
        try:
            return inner(model, task, **kwargs)
        finally:
            counter.mark(f"end {name}")

    evaluate_module._evaluate_task = timed_task

    model = tiny_clip_for_mteb(model_dir, MODEL_NAME)
    tasks = list(mteb.get_benchmark("MIEB(lite)").tasks)
    for task in tasks:
        for part in task.metadata.tasks if task.is_aggregate else [task]:
            part.metadata.dataset["path"] = str(data_dir / part.metadata.dataset["path"])
    counter.mark("model_and_tasks_ready")
    outcome = mteb.evaluate(
        model,
        tasks,
        encode_kwargs={"batch_size": BATCH_SIZE},
        cache=mteb.ResultCache(cache_path=results_dir),
        overwrite_strategy="always",
        show_progress_bar=False,
        co2_tracker=False,
    )
    counter.mark("work_done")
    counter.extra["mteb_version"] = mteb.__version__
    counter.extra["tasks_evaluated"] = len(outcome.task_results)


def run_mteb_lite(python: str, model_dir: Path, data_dir: Path, scratch: Path, env_extra=None):
    fresh_dir(scratch)
    stats = scratch / "encode-stats.json"
    results = scratch / "results"
    cmd = [
        python, str(Path(__file__).resolve()), "--worker", f"--model-dir={model_dir}",
        f"--data-dir={data_dir}", f"--results-dir={results}", f"--stats-path={stats}",
    ]  # fmt: skip
    env = offline_env(scratch, MTEB_CACHE=str(scratch / "mteb-cache"), **(env_extra or {}))
    timing = timed_process(cmd, env, scratch)
    counts = json.loads(stats.read_text(encoding="utf-8"))
    return summarise_run(timing, counts, results)


def summarise(runs: list[dict]) -> dict:
    """Medians over rounds: whole process, and per task."""
    walls = [r["wall_s"] for r in runs]
    cpus = [r["cpu_s"] for r in runs]
    names = sorted(set().union(*(r["tasks"] for r in runs)))

    def median_of(name: str, key: str) -> float:
        values = [r["tasks"][name][key] for r in runs if name in r["tasks"]]
        return round(statistics.median(values), 3)

    tasks = {
        name: {key: median_of(name, key) for key in ("wall_s", "tower_s", "overhead_s")}
        for name in names
    }
    last = runs[-1]
    return {
        "wall_s_rounds": [round(w, 2) for w in walls],
        "wall_s_median": round(statistics.median(walls), 2),
        "cpu_s_rounds": [round(c, 2) for c in cpus],
        "cpu_s_median": round(statistics.median(cpus), 2),
        "task_totals_median": {
            key: round(statistics.median(r["task_totals"][key] for r in runs), 2)
            for key in ("wall_s", "tower_s", "overhead_s")
        },
        "phases_rounds": [r["phases"] for r in runs],
        "images_encoded": last.get("images_encoded"),
        "unique_images_encoded": last.get("unique_images_encoded"),
        "texts_encoded": last.get("texts_encoded"),
        "tasks_timed": len(names),
        "tasks": tasks,
        "main_scores": last["main_scores"],
        "harness_stats": last.get("harness_stats"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/mieb-lite"))
    parser.add_argument("--rows", type=int, default=LITE_ROWS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mteb-python", default=sys.executable)
    parser.add_argument("--compare-with", default=None, help="python of the pytest-mieb venv")
    parser.add_argument("--only", choices=("mteb", "pytest-mieb"), default=None)
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--results-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--stats-path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        run_worker(args.model_dir, args.data_dir, args.results_dir, args.stats_path)
        return 0

    load_at_start = os.getloadavg()
    work = args.work.resolve()
    model_dir, data_dir = write_lite_inputs(work, rows=args.rows)
    mteb_runs, mieb_runs = [], []
    for k in range(args.rounds):
        if args.compare_with and args.only != "mteb":
            mieb_runs.append(
                run_pytest_mieb_lite(args.compare_with, model_dir, data_dir, work / f"mieb-{k}")
            )
        if args.only != "pytest-mieb":
            scratch = work / f"mteb-{k}"
            mteb_runs.append(run_mteb_lite(args.mteb_python, model_dir, data_dir, scratch))
    report: dict = {
        "setup": {"rows": args.rows, "batch_size": BATCH_SIZE, "cpus": os.cpu_count()},
        "load_at_start": load_at_start,
        "load_at_end": os.getloadavg(),
    }
    if mteb_runs:
        report["mteb"] = summarise(mteb_runs)
    if mieb_runs:
        report["pytest_mieb"] = summarise(mieb_runs)
    if mteb_runs and mieb_runs:
        mteb, mieb = report["mteb"], report["pytest_mieb"]
        report["speedup"] = {
            "wall_median": round(mteb["wall_s_median"] / mieb["wall_s_median"], 2),
            "cpu_median": round(mteb["cpu_s_median"] / mieb["cpu_s_median"], 2),
        }
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
