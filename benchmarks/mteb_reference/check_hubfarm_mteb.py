"""Do mteb 2.26's own task loaders read hubfarm's mirrors? One line per task.

Run with mteb's venv (never the project's; pytest_mieb is not needed), from anywhere:

    /work/mteb-venv/bin/python benchmarks/mteb_reference/check_hubfarm_mteb.py [--lite]
        [--tasks A,B] [--rows 24] [--seed 0] [--work DIR] [--json OUT] [--mirror-root DIR]

It writes the mirrors of the chosen tasks (default: every task hubfarm supports) with
`benchmarks/hubfarm` (imported by path), then for each task builds mteb's task object,
points `metadata.dataset["path"]` at the mirror folder (an aggregate: each sub-task's;
the revision stays, `datasets.load_dataset` ignores it for a local folder), runs
`task.load_data()` (mteb's loader plus its `dataset_transform`), and checks what the
evaluation will read: the splits, the columns the task class names (input / label /
image / text / sentence columns), zero-shot candidates covering the labels, retrieval
queries / corpus / qrels with the modality columns of the task's category. It prints
`ok` with a short summary of the loaded data, or `FAIL` with the reason, per task.

`--mirror-root DIR` checks mirrors already there instead (e.g. real ones filled by
`python -m pytest_mieb download`, or a hand-edited farm mirror). `--json OUT` writes the
summaries (counts of rows, queries, documents, judgments, labels, and digests of ids,
qrels, texts, labels, candidate prompts, gold scores) for comparison with pytest-mieb's
loaders (tests/hubfarm: set HUBFARM_MTEB_SUMMARY=OUT).
Everything runs offline with a fresh datasets cache under `--work`. Exit status 1 when
any MIEB(lite) task among the checked ones fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BENCHMARKS = HERE.parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tasks", default="", help="comma-separated task names (default: all)")
    p.add_argument("--lite", action="store_true", help="only the MIEB(lite) tasks")
    p.add_argument("--rows", type=int, default=24, help="rows per split of each mirror")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work", default="", help="scratch folder (default: a temp dir)")
    p.add_argument("--json", default="", help="write per-task summaries here")
    p.add_argument(
        "--mirror-root",
        default="",
        help="check the mirrors already under this folder (org/name/...) instead of writing",
    )
    p.add_argument("--verbose", action="store_true", help="tracebacks of failures")
    return p.parse_args(argv)


def prepare_env(work: Path) -> None:
    """Offline, and caches of this run's own (set before datasets / mteb are imported)."""
    cache = work / "hf-datasets-cache"
    if cache.exists():
        shutil.rmtree(cache)
    os.environ.update(
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_DATASETS_CACHE=str(cache),
        HF_HOME=str(work / "hf-home"),
        MTEB_CACHE=str(work / "mteb-cache"),
        TOKENIZERS_PARALLELISM="false",
    )


# -- what mteb loaded ----------------------------------------------------------------------


class Problem(Exception):
    pass


def digest(value: Any) -> str:
    """A short content digest (the test side computes the same on pytest-mieb's data)."""
    import hashlib

    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def _flat_labels(values: Any) -> list[Any]:
    return [[int(x) for x in v] if isinstance(v, list) else int(v) for v in values]


def _need(condition: bool, message: str) -> None:
    if not condition:
        raise Problem(message)


def _splits_of(task: Any) -> dict[str, dict[str, Any]]:
    """{hf_subset: {split: Dataset}} for the dataset-shaped tasks."""
    data = task.dataset
    if task.metadata.is_multilingual:
        return {subset: dict(data[subset]) for subset in task.hf_subsets}
    return {"default": dict(data)}


def _columns(ds: Any, names: Any) -> list[str]:
    wanted = [names] if isinstance(names, str) else list(names)
    return [c for c in wanted if c not in ds.column_names]


def inspect_classification(task: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for subset, splits in _splits_of(task).items():
        for split in [task.train_split, *task.eval_splits]:
            _need(split in splits, f"{subset}: split {split!r} missing (has {list(splits)})")
            ds = splits[split]
            missing = _columns(ds, [task.input_column_name, task.label_column_name])
            _need(not missing, f"{subset}/{split}: columns {missing} missing ({ds.column_names})")
            out[split] = len(ds)
        labels = splits[task.eval_splits[0]][task.label_column_name]
        flat = sorted({x for v in labels for x in (v if isinstance(v, list) else [v])})
        out["labels"] = flat
        out["labels_digest"] = digest(_flat_labels(labels))
    return out


def inspect_clustering(task: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for subset, splits in _splits_of(task).items():
        for split in task.eval_splits:
            _need(split in splits, f"{subset}: split {split!r} missing (has {list(splits)})")
            ds = splits[split]
            missing = _columns(ds, [task.input_column_name, task.label_column_name])
            _need(not missing, f"{split}: columns {missing} missing ({ds.column_names})")
            out[split] = len(ds)
            out["labels"] = sorted(set(ds[task.label_column_name]))
            out["labels_digest"] = digest(_flat_labels(ds[task.label_column_name]))
    return out


def inspect_zeroshot(task: Any) -> dict[str, Any]:
    out = inspect_clustering(task)
    candidates = task.get_candidate_labels()
    _need(len(candidates) > 0, "no candidate labels")
    _need(
        max(out["labels"]) < len(candidates),
        f"labels up to {max(out['labels'])} but {len(candidates)} candidates",
    )
    out["candidates"] = len(candidates)
    out["candidates_digest"] = digest(list(candidates))
    return out


def inspect_pairs(task: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for subset, splits in _splits_of(task).items():
        for split in task.eval_splits:
            _need(split in splits, f"{subset}: split {split!r} missing (has {list(splits)})")
            ds = splits[split]
            names = [*_as_list(task.images_column_names), *_as_list(task.texts_column_names)]
            missing = _columns(ds, names)
            _need(not missing, f"{split}: columns {missing} missing ({ds.column_names})")
            first = ds[0]
            for c in _as_list(task.images_column_names):
                _need(
                    first[c] is not None and hasattr(first[c], "size"),
                    f"{split}: column {c!r} does not decode to an image",
                )
            out[split] = len(ds)
            out["images"] = len(_as_list(task.images_column_names))
            out["texts"] = len(_as_list(task.texts_column_names))
            out["texts_digest"] = digest([list(ds[c]) for c in _as_list(task.texts_column_names)])
    return out


def inspect_sts(task: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    first_col, second_col = task.column_names
    for subset, splits in _splits_of(task).items():
        for split in task.eval_splits:
            _need(split in splits, f"{subset}: split {split!r} missing (has {list(splits)})")
            ds = splits[split]
            missing = _columns(ds, [first_col, second_col, "score"])
            _need(not missing, f"{subset}/{split}: columns {missing} missing")
            row = ds[0]
            _need(hasattr(row[first_col], "size"), f"{subset}/{split}: {first_col} not an image")
            out.setdefault(subset, {})[split] = len(ds)
            scores = [round(float(x), 6) for x in ds["score"]]
            out[subset][f"{split}_scores_digest"] = digest(scores)
    return out


def _as_list(x: Any) -> list[str]:
    return [x] if isinstance(x, str) else list(x)


def inspect_retrieval(task: Any) -> dict[str, Any]:
    task.convert_v1_dataset_format_to_v2(num_proc=None)
    category = task.metadata.category
    q_letters, _, c_letters = category.partition("2")
    out: dict[str, Any] = {}
    for subset, splits in task.dataset.items():
        for split, data in splits.items():
            if split not in task.eval_splits:
                continue
            queries, corpus, qrels = data["queries"], data["corpus"], data["relevant_docs"]
            where = f"{subset}/{split}"
            for side, ds, letters in (
                ("queries", queries, q_letters),
                ("corpus", corpus, c_letters),
            ):
                _need("id" in ds.column_names, f"{where}: {side} lack an id column")
                for letter, column in (("i", "image"), ("t", "text")):
                    if letter in letters:
                        _need(
                            column in ds.column_names,
                            f"{where}: {side} lack column {column!r} ({ds.column_names})",
                        )
                        _need(ds[0][column] is not None, f"{where}: {side} {column!r} is null")
            corpus_ids = set(corpus["id"])
            query_ids = list(queries["id"])
            judged = sum(len(d) for d in qrels.values())
            relevant = sum(1 for d in qrels.values() for s in d.values() if int(s) > 0)
            unknown = {d for docs in qrels.values() for d in docs if d not in corpus_ids}
            _need(len(query_ids) > 0, f"{where}: no query left after the qrels filter")
            summary = {
                "queries": len(query_ids),
                "corpus": len(corpus),
                "judged": judged,
                "relevant": relevant,
                "unknown_judged_docs": len(unknown),
            }
            summary["qrels_digest"] = digest(
                sorted(
                    [str(q), str(d), int(s)] for q, docs in qrels.items() for d, s in docs.items()
                )
            )
            summary["ids_digest"] = digest(
                [sorted(map(str, query_ids)), sorted(map(str, corpus_ids))]
            )
            for side, ds, letters in (("query", queries, q_letters), ("corpus", corpus, c_letters)):
                if "t" in letters and "text" in ds.column_names:
                    pairs = sorted(
                        [str(i), str(t)] for i, t in zip(ds["id"], ds["text"], strict=True)
                    )
                    summary[f"{side}_texts_digest"] = digest(pairs)
            top = data.get("top_ranked")
            if top:
                summary["candidates"] = sum(len(v) for v in top.values())
                summary["candidates_digest"] = digest(
                    sorted([str(q), sorted(map(str, c))] for q, c in top.items())
                )
            out[subset] = summary
    return out


def inspect(task: Any) -> dict[str, Any]:
    from mteb.abstasks import (
        AbsTaskClassification,
        AbsTaskMultilabelClassification,
        AbsTaskRetrieval,
        AbsTaskSTS,
        AbsTaskZeroShotClassification,
    )
    from mteb.abstasks.clustering_legacy import AbsTaskClusteringLegacy
    from mteb.abstasks.image.image_text_pair_classification import (
        AbsTaskImageTextPairClassification,
    )

    if isinstance(task, AbsTaskRetrieval):
        return inspect_retrieval(task)
    if isinstance(task, AbsTaskZeroShotClassification):
        return inspect_zeroshot(task)
    if isinstance(task, AbsTaskClassification | AbsTaskMultilabelClassification):
        return inspect_classification(task)
    if isinstance(task, AbsTaskClusteringLegacy):
        return inspect_clustering(task)
    if isinstance(task, AbsTaskImageTextPairClassification):
        return inspect_pairs(task)
    if isinstance(task, AbsTaskSTS):
        return inspect_sts(task)
    raise Problem(f"no check for {type(task).__mro__[1].__name__}")


def check_task(name: str, mirror_root: Path) -> dict[str, Any]:
    import mteb

    task = mteb.get_task(name)
    if task.is_aggregate:
        out = {}
        for sub in task.metadata.tasks:
            sub.metadata.dataset["path"] = str(mirror_root / sub.metadata.dataset["path"])
            sub.load_data()
            summary = inspect(sub)
            keep = set(sub.hf_subsets)
            out[sub.metadata.name] = {k: v for k, v in summary.items() if k in keep} or summary
        return out
    task.metadata.dataset["path"] = str(mirror_root / task.metadata.dataset["path"])
    task.load_data()
    return inspect(task)


def _without_digests(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_digests(v) for k, v in value.items() if not k.endswith("digest")}
    return value


def short(summary: dict[str, Any]) -> str:
    text = json.dumps(_without_digests(summary), separators=(",", ":"), sort_keys=True)
    return text if len(text) <= 150 else text[:147] + "..."


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="hubfarm-mteb-"))
    work.mkdir(parents=True, exist_ok=True)
    prepare_env(work)
    sys.path.append(str(BENCHMARKS))  # appended: benchmarks/ modules never shadow mteb's
    import hubfarm

    names = [n for n in args.tasks.split(",") if n] or hubfarm.supported_tasks(lite_only=args.lite)
    lite = set(hubfarm.lite_tasks())
    start = time.perf_counter()
    if args.mirror_root:
        mirrors = Path(args.mirror_root).resolve()
        print(f"# checking the mirrors under {mirrors}", flush=True)
    else:
        mirrors = work / "mirrors"
        hubfarm.write_mirrors(names, mirrors, rows=args.rows, seed=args.seed)
        written = time.perf_counter() - start
        print(
            f"# mirrors of {len(names)} tasks written to {mirrors} in {written:.1f}s "
            f"(rows={args.rows}, seed={args.seed})",
            flush=True,
        )

    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    import mteb

    results: dict[str, Any] = {}
    failed_lite: list[str] = []
    for name in names:
        t0 = time.perf_counter()
        try:
            summary = check_task(name, mirrors)
            status, detail = "ok", short(summary)
            results[name] = {"status": "ok", "summary": summary}
        except Exception as exc:  # reported per task
            reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
            status, detail = "FAIL", reason
            results[name] = {"status": "fail", "reason": reason}
            if name in lite:
                failed_lite.append(name)
            if args.verbose:
                traceback.print_exc()
        elapsed = time.perf_counter() - t0
        results[name]["seconds"] = round(elapsed, 2)
        mark = "L" if name in lite else " "
        print(f"{status:4s} {mark} {name:48s} {elapsed:5.1f}s  {detail}", flush=True)
    total = time.perf_counter() - start
    n_ok = sum(r["status"] == "ok" for r in results.values())
    print(
        f"# {n_ok}/{len(names)} tasks load in mteb {mteb.__version__} "
        f"({sum(r['status'] == 'ok' for n, r in results.items() if n in lite)}/"
        f"{len([n for n in names if n in lite])} lite) in {total:.1f}s"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"rows": args.rows, "seed": args.seed, "mteb": mteb.__version__, "tasks": results},
                indent=1,
                sort_keys=True,
            ),
            encoding="utf-8",
        )
    return 1 if failed_lite else 0


if __name__ == "__main__":
    sys.exit(main())
