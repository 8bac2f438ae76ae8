"""Regenerate suites/mieb/*.toml from the MIEB catalogue (a maintainer's tool, not runtime).

Usage: python tools/build_suites.py ../shared/mieb/catalogue.json suites/mieb
The catalogue's free-text descriptions become short, machine-readable parameters here.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import tomli_w

TYPE_FILES = {
    "ImageClassification": "image_classification.toml",
    "ImageClustering": "image_clustering.toml",
    "ZeroShotClassification": "zeroshot_classification.toml",
    "Any2AnyRetrieval": "any2any_retrieval.toml",
    "Any2AnyMultilingualRetrieval": "any2any_multilingual_retrieval.toml",
    "DocumentUnderstanding": "document_understanding.toml",
    "VisionCentricQA": "vision_centric_qa.toml",
    "Compositionality": "compositionality.toml",
    "VisualSTS(eng)": "visual_sts_eng.toml",
    "VisualSTS(multi)": "visual_sts_multi.toml",
}
BENCHMARK_MARKERS = {
    "MIEB(Multilingual)": "mieb_multilingual",
    "MIEB(eng)": "mieb_eng",
    "MIEB(lite)": "mieb_lite",
    "MIEB(Img)": "mieb_img",
}
CUSTOM_LOADERS = {
    "HatefulMemes": "hateful_memes",
    "Memotion": "memotion",
    "SciMMIR": "scimmir",
    "Vidore": "vidore",
    "WITT2I": "wit",
    "XFlickr30kCo": "xflickr30k_co",
    "XM3600": "xm3600",
    "CVBench": "cvbench",
    "ImageCoDe": "imagecode",
}
FREE_TEXT_COLUMN_KEYS = {"label_format", "labels_format", "note", "see", "ground_truth"}
RETRIEVAL_KEYS = (
    "query_modalities",
    "corpus_modalities",
    "k_values",
    "top_k_retrieved",
    "skip_first_result",
    "ignore_identical_ids",
)


def loader_of(task: dict) -> str:
    name = task["name"]
    if task["is_aggregate"]:
        return "sts_subsets"
    if name == "ImageCoDeT2IRetrieval":
        return "beir"
    for prefix, loader in CUSTOM_LOADERS.items():
        if name.startswith(prefix):
            return loader
    if task["loader"].startswith("Standard BEIR"):
        return "beir"
    return "default"


def params_of(task: dict) -> dict:
    p = task["params"]
    protocol = p["protocol"]
    out: dict = {}
    if protocol == "linear_probe":
        out = {k: p[k] for k in ("samples_per_label", "n_experiments")}
        out["seed"] = p.get("seed", 42)
        out["max_iter"] = 100
        if task["name"] == "Birdsnap":
            out["drop_train_rows"] = [3854]
    elif protocol == "multilabel_probe":
        out = {k: p[k] for k in ("samples_per_label", "n_experiments")}
        out.update(seed=42, n_neighbors=5)
    elif protocol == "kmeans_clustering":
        out = {"batch_size": 500, "seed": 42}
    elif protocol == "zero_shot":
        out["scoring_path"] = p["scoring_path"].split(":")[0]
        if isinstance(p.get("candidate_labels"), list):
            out["candidate_labels"] = p["candidate_labels"]
            out["n_candidates"] = p["n_candidates"]
            out["candidate_texts_total_chars"] = p["candidate_labels_total_chars"]
        else:
            out["candidate_label_template"] = p["candidate_label_template"]
            if "class_name_transform" in p:
                out["class_name_transform"] = "sun397"
            out["n_candidates_unique"] = p["n_candidates_unique_texts_from_stats"]
            out["candidate_texts_total_chars"] = p["candidate_texts_total_chars_from_stats"]
    elif protocol in ("retrieval", "multiple_choice"):
        out = {k: p[k] for k in RETRIEVAL_KEYS}
        if task["name"].startswith("CVBench"):
            out["cvbench_task"] = task["name"].removeprefix("CVBench")
    elif protocol == "image_text_pair_matching":
        out = {k: p[k] for k in ("n_images_per_sample", "n_texts_per_sample")}
    elif protocol == "visual_sts":
        out = {"gold_score_range": p["gold_score_range"]}
    elif protocol == "aggregate_of_visual_sts":
        out = {"subtasks": [subtask_of(s) for s in p["subtasks"]]}
    else:
        raise ValueError(f"unknown protocol {protocol} in {task['name']}")
    if task["name"] == "SugarCrepe":
        out["source_split"] = "train"
    return out


def subtask_of(s: dict) -> dict:
    return {
        "name": s["name"],
        "dataset": {"path": s["dataset"]["path"], "revision": s["dataset"]["revision"]},
        "hf_subsets_used": s["hf_subsets_used"],
        "eval_split": "test",
        "columns": s["columns"],
        "gold_score_range": s["gold_score_range"],
    }


def languages_of(task: dict) -> dict:
    langs = task["eval_langs"]
    if task["is_aggregate"]:
        sub = task["params"]["subtasks"][0]
        used = sorted({lang for ls in sub["eval_langs_by_subset"].values() for lang in ls})
        return {"default": used}
    if isinstance(langs, dict):
        return langs
    return {s: langs for s in task["hf_subsets"]}


def columns_of(task: dict) -> dict:
    cols = task["columns"] or {}
    if loader_of(task) != "default":
        return {}
    return {k: v for k, v in cols.items() if k not in FREE_TEXT_COLUMN_KEYS}


def eval_size(task: dict) -> int | None:
    split = task["eval_splits"][0]
    size = (task.get("sizes") or {}).get(split) or {}
    if "num_samples" in size:
        return int(size["num_samples"])
    return None


def task_table(task: dict) -> dict:
    ds = task["dataset"]
    entry: dict = {"name": task["name"]}
    entry["protocol"] = task["params"]["protocol"]
    entry["loader"] = loader_of(task)
    entry["category"] = task["category"]
    entry["modalities"] = task["modalities"]
    entry["dataset"] = {"path": ds["path"], "revision": ds["revision"]}
    if ds.get("gated"):
        entry["dataset"]["gated"] = True
    entry["eval_split"] = task["eval_splits"][0]
    if task["train_split"]:
        entry["train_split"] = task["train_split"]
    entry["main_score"] = task["main_score"]
    entry["subsets"] = task["hf_subsets"]
    entry["languages"] = languages_of(task)
    cols = columns_of(task)
    if cols:
        entry["columns"] = cols
    entry["params"] = params_of(task)
    prompt = (task["prompts"] or {}).get("task_metadata_prompt")
    if prompt:
        entry["prompts"] = prompt
    size = eval_size(task)
    if size is not None:
        entry["eval_size"] = size
    if task["notes"]:
        entry["notes"] = task["notes"]
    return entry


def full_sts_tasks(catalogue: list[dict]) -> list[dict]:
    """The two multi-subset STS tasks behind the aggregates (in MIEB(Img), not in the 130)."""
    merged: dict[str, dict] = {}
    for task in catalogue:
        if not task["is_aggregate"]:
            continue
        sub = task["params"]["subtasks"][0]
        entry = merged.setdefault(
            sub["name"],
            {
                "name": sub["name"],
                "protocol": "visual_sts",
                "loader": "sts_subsets",
                "category": "i2i",
                "modalities": ["image"],
                "dataset": dict(sub["dataset"]),
                "eval_split": "test",
                "main_score": "cosine_spearman",
                "subsets": sub["all_hf_subsets"],
                "languages": {},
                "columns": sub["columns"],
                "params": {"gold_score_range": sub["gold_score_range"]},
                "notes": [
                    "Full multi-subset STS task behind the VisualSTS aggregates (MIEB(Img) only).",
                ],
            },
        )
        entry["languages"].update(sub["eval_langs_by_subset"])
        if sub.get("subtask_eval_splits", ["test"]) != ["test"]:
            note = (
                "The reference declares splits "
                + ", ".join(sub["subtask_eval_splits"])
                + "; pytest-mieb evaluates test only."
            )
            if note not in entry["notes"]:
                entry["notes"].append(note)
    for entry in merged.values():
        entry["languages"] = {s: entry["languages"][s] for s in entry["subsets"]}
    return list(merged.values())


def lift_shared(defaults: dict, tasks: list[dict]) -> dict:
    """Move values every task of a file shares into its [defaults] table (said once)."""
    if len(tasks) < 2:
        return defaults
    for key in ("protocol", "loader", "category", "modalities", "eval_split", "main_score"):
        values = [json.dumps(t.get(key), sort_keys=True) for t in tasks]
        if key in tasks[0] and len(set(values)) == 1:
            defaults[key] = tasks[0][key]
            for t in tasks:
                del t[key]
    shared_params: dict = {}
    for key in tasks[0].get("params", {}):
        values = [json.dumps(t.get("params", {}).get(key, None), sort_keys=True) for t in tasks]
        if all(key in t.get("params", {}) for t in tasks) and len(set(values)) == 1:
            shared_params[key] = tasks[0]["params"][key]
    for t in tasks:
        for key in shared_params:
            del t["params"][key]
        if not t.get("params"):
            t.pop("params", None)
    if shared_params:
        defaults["params"] = shared_params
    return defaults


def main(catalogue_path: str, out_dir: str) -> None:
    catalogue = json.loads(Path(catalogue_path).read_text())
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    by_type: dict[str, list[dict]] = defaultdict(list)
    benchmarks: dict[str, list[str]] = defaultdict(list)
    for task in catalogue:
        by_type[task["type"]].append(task_table(task))
        for bench in task["benchmarks"]:
            benchmarks[bench].append(task["name"])
    extra = full_sts_tasks(catalogue)
    by_type["VisualSTS(multi)"].extend(extra)
    benchmarks["MIEB(Img)"].extend(t["name"] for t in extra)
    header = (
        "# Generated by tools/build_suites.py from the MIEB catalogue; edit the tool, not this.\n"
    )
    for task_type, tasks in by_type.items():
        defaults = lift_shared({"type": task_type, "markers": ["mieb"]}, tasks)
        doc = {"defaults": defaults, "task": tasks}
        (out / TYPE_FILES[task_type]).write_text(
            header + tomli_w.dumps(doc, multiline_strings=False)
        )
    bench_doc = {
        "benchmark": [
            {"name": name, "marker": BENCHMARK_MARKERS[name], "tasks": sorted(tasks)}
            for name, tasks in benchmarks.items()
        ]
    }
    (out / "benchmarks.toml").write_text(header + tomli_w.dumps(bench_doc))
    print({name: len(t) for name, t in benchmarks.items()})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
