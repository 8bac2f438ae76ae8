"""mteb 2.26 on the three CIFAR10 tasks, timed the way bench_end_to_end.py times pytest-mieb.

mteb is a dev-time comparison tool only: it lives in its own venv and is never imported by
pytest_mieb or the project's tests. Set it up once:

    python3 -m venv /work/mteb-venv
    /work/mteb-venv/bin/pip install "mteb==2.26.*" torch==2.14.1 torchvision==0.29.1

Then, from the repository root:

    /work/mteb-venv/bin/python benchmarks/mteb_reference/run_mteb_cifar10.py \
        --work /tmp/e2e --rounds 2 --compare-with /work/venv/bin/python

The driver builds (or reuses) the CIFAR10 mirror and the tiny CLIP of `e2e_common`, then
starts one fresh interpreter per round running this file with `--worker`, and times that
whole process from outside. The worker:

* loads mteb's own `CLIPModel` wrapper (the one behind mteb's openai/clip-* models) on
  the local model directory, with a `ModelMeta` copied from openai/clip-vit-base-patch32
  under a local name;
* points the three tasks' `metadata.dataset["path"]` at the mirror (revision kept;
  `datasets.load_dataset` ignores it for a local folder);
* runs `mteb.evaluate(..., encode_kwargs={"batch_size": 32})` writing results to a fresh
  `ResultCache` (mteb's normal result files), `overwrite_strategy="always"`;
* counts the rows reaching the CLIP towers with `e2e_common.EncodeCounter`.

`--compare-with PYTHON` also times pytest-mieb (run by that interpreter, the project's
venv) in alternating rounds, so both sides see the same machine state, and prints the
ratio. Output: one JSON document on stdout.
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

from e2e_common import (  # noqa: E402
    BATCH_SIZE,
    CIFAR10_TASKS,
    EncodeCounter,
    fresh_dir,
    main_scores,
    offline_env,
    phase_summary,
    run_pytest_mieb,
    timed_process,
    write_cifar10_mirror,
    write_tiny_clip,
)
from mteb_clip import tiny_clip_for_mteb  # noqa: E402

MODEL_NAME = "local/tiny-clip-224"


def run_worker(model_dir: Path, data_dir: Path, results_dir: Path, stats_path: Path, num_proc):
    """The timed process: load mteb, the model and the tasks, evaluate, exit."""
    counter = EncodeCounter().install().write_at_exit(stats_path)

    import mteb

    counter.mark("harness_ready")
    model = tiny_clip_for_mteb(model_dir, MODEL_NAME)
    tasks = mteb.get_tasks(tasks=list(CIFAR10_TASKS))
    mirror = str(data_dir / "mteb" / "cifar10")
    for task in tasks:
        task.metadata.dataset["path"] = mirror
    counter.mark("model_and_tasks_ready")
    outcome = mteb.evaluate(
        model,
        tasks,
        encode_kwargs={"batch_size": BATCH_SIZE},
        cache=mteb.ResultCache(cache_path=results_dir),
        overwrite_strategy="always",
        show_progress_bar=False,
        num_proc=num_proc,
        co2_tracker=False,
    )
    counter.mark("work_done")
    # mteb's own per-phase timing of each task (data loading, encoding, scoring).
    phases: dict[str, float] = {}
    for result in outcome.task_results:
        counter.extra.setdefault("mteb_task_seconds", {})[result.task_name] = round(
            float(result.evaluation_time or 0.0), 3
        )
        for phase in result.evaluation_phases or []:
            name = str(phase["name"])
            phases[name] = phases.get(name, 0.0) + float(phase["end"]) - float(phase["start"])
    counter.extra["mteb_phases_s"] = {name: round(s, 3) for name, s in phases.items()}
    counter.extra["mteb_version"] = mteb.__version__
    counter.extra["num_proc"] = num_proc


def run_mteb(
    python: str,
    model_dir: Path,
    data_dir: Path,
    scratch: Path,
    num_proc: int | None,
    env_extra: dict[str, str] | None = None,
) -> dict:
    fresh_dir(scratch)
    stats = scratch / "encode-stats.json"
    results = scratch / "results"
    cmd = [
        python,
        str(Path(__file__).resolve()),
        "--worker",
        f"--model-dir={model_dir}",
        f"--data-dir={data_dir}",
        f"--results-dir={results}",
        f"--stats-path={stats}",
    ]
    if num_proc is not None:
        cmd.append(f"--num-proc={num_proc}")
    env = offline_env(scratch, MTEB_CACHE=str(scratch / "mteb-cache"), **(env_extra or {}))
    timing = timed_process(cmd, env, scratch)
    counts = json.loads(stats.read_text(encoding="utf-8"))
    phases = phase_summary(float(timing["wall_s"]), counts.get("marks", []))
    return {**timing, **counts, "phases": phases, "main_scores": main_scores(results)}


def summarise(runs: list[dict]) -> dict:
    walls = [r["wall_s"] for r in runs]
    cpus = [r["cpu_s"] for r in runs]
    last = {k: v for k, v in runs[-1].items() if k not in ("wall_s", "cpu_s", "output")}
    return {
        "wall_s_rounds": [round(w, 2) for w in walls],
        "wall_s_median": round(statistics.median(walls), 2),
        "wall_s_min": round(min(walls), 2),
        "cpu_s_rounds": [round(c, 2) for c in cpus],
        "cpu_s_median": round(statistics.median(cpus), 2),
        **last,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/mieb-e2e"))
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--n-test", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--num-proc", type=int, default=None, help="mteb's num_proc")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="OMP_NUM_THREADS for both sides (default: unset, torch uses every core)",
    )
    parser.add_argument("--mieb-workers", type=int, default=None, help="--mieb-workers")
    parser.add_argument("--mteb-python", default=sys.executable)
    parser.add_argument("--compare-with", default=None, help="python of the pytest-mieb venv")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--results-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--stats-path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        run_worker(args.model_dir, args.data_dir, args.results_dir, args.stats_path, args.num_proc)
        return 0

    work = args.work.resolve()
    data_dir = work / "data"
    write_cifar10_mirror(data_dir, args.n_train, args.n_test)
    model_dir = write_tiny_clip(work / "tiny-clip")
    env_extra = {} if args.threads is None else {"OMP_NUM_THREADS": str(args.threads)}
    mteb_runs, mieb_runs = [], []
    for k in range(args.rounds):
        if args.compare_with:
            mieb_runs.append(
                run_pytest_mieb(
                    args.compare_with,
                    model_dir,
                    data_dir,
                    work / f"mieb-{k}",
                    workers=args.mieb_workers,
                    env_extra=env_extra,
                )
            )
        mteb_runs.append(
            run_mteb(
                args.mteb_python,
                model_dir,
                data_dir,
                work / f"mteb-{k}",
                args.num_proc,
                env_extra=env_extra,
            )
        )
    report = {
        "setup": {
            "n_train": args.n_train,
            "n_test": args.n_test,
            "batch_size": BATCH_SIZE,
            "tasks": list(CIFAR10_TASKS),
            "omp_num_threads": args.threads,
            "mteb_num_proc": args.num_proc,
            "mieb_workers": args.mieb_workers,
            "cpus": os.cpu_count(),
        },
        "mteb": summarise(mteb_runs),
    }
    if mieb_runs:
        report["pytest_mieb"] = summarise(mieb_runs)
        mteb, mieb = report["mteb"], report["pytest_mieb"]
        report["speedup"] = {
            "wall_median": round(mteb["wall_s_median"] / mieb["wall_s_median"], 2),
            "wall_min": round(mteb["wall_s_min"] / mieb["wall_s_min"], 2),
            "cpu_median": round(mteb["cpu_s_median"] / mieb["cpu_s_median"], 2),
        }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
