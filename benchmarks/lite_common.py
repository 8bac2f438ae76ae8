"""The MIEB(lite)-shaped workload of issue 15: all 51 lite tasks, small mirrors, a tiny CLIP.

What a model-training CI gate runs is many small tasks (`pytest -m mieb_lite`), so fixed
costs per task and per encode call matter more there than the cost per image. The workload:

* data: `hubfarm` mirrors of every MIEB(lite) task's hub repo, in the real repo layouts,
  `LITE_ROWS` rows per split (one query per row for retrieval, one pair for STS, rows per
  language for the multilingual repos);
* model: `tinymodels`' tiny openai-layout CLIP (transformers `CLIPModel`, 32 px, width 32,
  the CLIP BPE tokenizer), random weights;
* CPU, batch size 32, hub offline, a fresh datasets cache per run (both harnesses pay the
  parquet -> Arrow conversion).

pytest-mieb runs as `python -m pytest -m mieb_lite --mieb-model=DIR --mieb-data-dir=MIRRORS`
(`run_pytest_mieb_lite`); mteb 2.26 in its own venv (`mteb_reference/run_mteb_lite.py`).
Both count and time what reaches the CLIP towers with `e2e_common.EncodeCounter` and mark
each task's start and end, so each task's wall time splits into the model's own work (tower
seconds) and the harness's overhead (everything else: data, batching, decoding, workers,
scoring, result files). Importable in either venv: no pytest_mieb, no mteb.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
if str(BENCH_DIR) not in sys.path:
    sys.path.append(str(BENCH_DIR))

from e2e_common import (  # noqa: E402
    E2E_CONFTEST,
    fresh_dir,
    main_scores,
    offline_env,
    phase_summary,
    timed_process,
)

LITE_ROWS = 48
BATCH_SIZE = 32


def lite_tasks() -> list[str]:
    import hubfarm

    return hubfarm.lite_tasks()


def write_lite_inputs(work: Path, rows: int = LITE_ROWS, seed: int = 0) -> tuple[Path, Path]:
    """(tiny CLIP folder, mirror root) under `work`; both reused when already current."""
    import hubfarm
    import tinymodels

    data_dir = Path(work) / f"mirrors-{rows}"
    hubfarm.write_mirrors(hubfarm.lite_tasks(), data_dir, rows=rows, seed=seed)
    model_dir = tinymodels.build("clip", Path(work) / "models", seed=seed)
    return model_dir, data_dir


def task_of(label: str) -> str:
    """'AROCocoOrder[/m/clip]' -> 'AROCocoOrder' (pytest item names carry the model id)."""
    return label.split("[", 1)[0]


def per_task(counts: dict) -> dict[str, dict[str, float]]:
    """task -> wall seconds (its start mark to its end mark), tower seconds in between,
    and overhead = wall - tower."""
    at = {label: t for label, t in counts.get("marks", [])}
    towers = counts.get("tower_marks", {})
    out: dict[str, dict[str, float]] = {}
    for label, start in at.items():
        if not label.startswith("start "):
            continue
        name = label[len("start ") :]
        end_label = f"end {name}"
        if end_label not in at:
            continue
        wall = at[end_label] - start
        tower = towers.get(end_label, 0.0) - towers.get(label, 0.0)
        out[task_of(name)] = {
            "wall_s": round(wall, 3),
            "tower_s": round(tower, 3),
            "overhead_s": round(wall - tower, 3),
        }
    return out


def totals(tasks: dict[str, dict[str, float]]) -> dict[str, float]:
    return {
        key: round(sum(t[key] for t in tasks.values()), 2)
        for key in ("wall_s", "tower_s", "overhead_s")
    }


def run_pytest_mieb_lite(
    python: str,
    model_dir: Path,
    data_dir: Path,
    scratch: Path,
    env_extra: dict[str, str] | None = None,
    extra_args: tuple[str, ...] = (),
) -> dict[str, object]:
    """One timed `python -m pytest -m mieb_lite --mieb-model=...` process in a fresh folder."""
    fresh_dir(scratch)
    shutil.copyfile(E2E_CONFTEST, scratch / "conftest.py")
    stats = scratch / "encode-stats.json"
    results = scratch / "results"
    cmd = [
        python, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--rootdir={scratch}",
        "-m", "mieb_lite", f"--mieb-model={model_dir}", f"--mieb-data-dir={data_dir}",
        f"--mieb-results-dir={results}", f"--mieb-batch-size={BATCH_SIZE}", "--mieb-device=cpu",
        "-W", "ignore::UserWarning", *extra_args,
    ]  # fmt: skip
    env = offline_env(
        scratch, E2E_STATS_PATH=str(stats), E2E_BENCH_DIR=str(BENCH_DIR), **(env_extra or {})
    )
    timing = timed_process(cmd, env, scratch)
    counts = json.loads(stats.read_text(encoding="utf-8"))
    return summarise_run(timing, counts, results)


def summarise_run(timing: dict, counts: dict, results: Path) -> dict[str, object]:
    tasks = per_task(counts)
    return {
        **timing,
        **{k: v for k, v in counts.items() if k not in ("marks", "tower_marks")},
        "phases": {
            k: v
            for k, v in phase_summary(float(timing["wall_s"]), counts.get("marks", [])).items()
            if not k.startswith("item ")
        },
        "tasks": tasks,
        "task_totals": totals(tasks),
        "main_scores": main_scores(results, lite_tasks()),
    }
