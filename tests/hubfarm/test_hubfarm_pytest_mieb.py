"""hubfarm mirrors through pytest-mieb: every packaged MIEB task's dataset, written in its
hub repo layout (benchmarks/hubfarm), loads with `load_task_data` from the mirror and
scores with the weight-free `baseline/pixels` encoder.

The MIEB(lite) tasks run by default; the others are marked `hubfarm_full` and run with
HUBFARM_ALL=1. With HUBFARM_MTEB_SUMMARY=<json written by
benchmarks/mteb_reference/check_hubfarm_mteb.py --json>, each task's loaded data is also
compared with what mteb 2.26's loader read from the same mirror (counts of rows, queries,
documents, judgments, labels, candidates).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from pathlib import Path
from typing import Any

import hubfarm
import pytest

from pytest_mieb.data.task_dataset import dataset_of
from pytest_mieb.tasks.candidate_texts import CandidateTextsWarning
from pytest_mieb.tasks.index import load_all_specs, load_benchmarks

ROWS = 16
SPECS = load_all_specs()
MIEB_TASKS = [n for n, s in SPECS.items() if "mieb" in s.markers]
LITE = set(load_benchmarks()["MIEB(lite)"].tasks)
RUN_ALL = os.environ.get("HUBFARM_ALL") == "1"
MTEB_SUMMARY = os.environ.get("HUBFARM_MTEB_SUMMARY")

#: Floors the pixel baseline clears on the synthetic data: classes and relevant pairs are
#: drawn to be told apart by colour and shape (deterministic: same seed, same mirror).
FLOORS = {
    "RESISC45": 0.6,
    "OxfordPets": 0.6,
    "ImageNetDog15Clustering": 0.3,
    "CUB200I2IRetrieval": 0.5,
    "RP2kI2IRetrieval": 0.5,
    "NIGHTSI2IRetrieval": 0.2,
    "BLINKIT2IMultiChoice": 0.55,
    "STS13VisualSTS": 0.2,
}


def _param(name: str) -> Any:
    if name in LITE:
        return pytest.param(name, id=name)
    skip = pytest.mark.skipif(not RUN_ALL, reason="not MIEB(lite); set HUBFARM_ALL=1")
    return pytest.param(name, id=name, marks=[pytest.mark.hubfarm_full, skip])


TASK_PARAMS = [_param(name) for name in MIEB_TASKS]


@pytest.fixture(scope="module")
def mirror_root(tmp_path_factory: pytest.TempPathFactory, offline_caches: Path) -> Path:
    return tmp_path_factory.mktemp("hubfarm-mirrors")


@pytest.fixture(scope="module")
def embedder() -> Any:
    from pytest_mieb.embed.embedder import Embedder
    from pytest_mieb.models import load_encoder

    return Embedder(load_encoder("baseline/pixels"), num_workers=0, batch_size=64)


def test_every_packaged_mieb_task_has_a_mirror() -> None:
    assert len(MIEB_TASKS) == 132
    assert hubfarm.supported_tasks() == MIEB_TASKS
    assert set(hubfarm.lite_tasks()) == LITE and len(LITE) == 51
    for name in MIEB_TASKS:
        assert hubfarm.repo_of(name) == dataset_of(SPECS[name]).path


@pytest.mark.parametrize("task", TASK_PARAMS)
def test_mirror_loads_and_scores(task: str, mirror_root: Path, embedder: Any) -> None:
    from pytest_mieb.run import evaluate_task

    spec = SPECS[task]
    path = hubfarm.write_mirror(spec, mirror_root, rows=ROWS)
    assert path == mirror_root / dataset_of(spec).path
    with warnings.catch_warnings():
        # few ClassLabel names: zero-shot candidates differ from the reference statistics
        warnings.simplefilter("ignore", CandidateTextsWarning)
        scores = evaluate_task(spec, embedder, data_dir=mirror_root)
    assert math.isfinite(scores.main_score), scores.subsets
    assert all(math.isfinite(s["main_score"]) for s in scores.subsets.values())
    if task in FLOORS:
        assert scores.main_score >= FLOORS[task], scores.subsets


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("task", ["CIFAR10", "FER2013", "CUB200I2IRetrieval", "CVBenchCount"])
def test_mirrors_are_deterministic(task: str, tmp_path: Path) -> None:
    one = hubfarm.write_mirror(task, tmp_path / "one", rows=8, seed=3)
    two = hubfarm.write_mirror(task, tmp_path / "two", rows=8, seed=3)
    other = hubfarm.write_mirror(task, tmp_path / "other", rows=8, seed=4)
    assert _tree_digest(one) == _tree_digest(two)
    assert _tree_digest(one) != _tree_digest(other)


def test_layouts_as_on_the_hub(tmp_path: Path) -> None:
    """A few layout facts the loaders depend on (README splits, root files, tar shards)."""
    tiny = hubfarm.write_mirror("TinyImageNetClustering", tmp_path, rows=8)
    card = (tiny / "README.md").read_text(encoding="utf-8")
    assert "split: valid" in card and "path: data/valid-*" in card
    assert (tiny / ".mieb-revision").read_text().strip() == SPECS[
        "TinyImageNetClustering"
    ].dataset.revision
    cub = hubfarm.write_mirror("CUB200I2IRetrieval", tmp_path, rows=8)
    assert {p.name for p in cub.glob("*.parquet")} == {
        "corpus-00000-of-00001.parquet",
        "query-00000-of-00001.parquet",
        "qrels-00000-of-00001.parquet",
    }
    gtsrb = hubfarm.write_mirror("GTSRB", tmp_path, rows=8)
    assert len(list((gtsrb / "test").glob("*.tar"))) >= 3
    assert not (gtsrb / "README.md").exists()
    stsb = hubfarm.write_mirror("VisualSTS-b-Multilingual", tmp_path, rows=8)
    assert (stsb / "test" / "de.parquet").is_file() and (stsb / "dev" / "de.parquet").is_file()


# -- the same data as mteb read? ------------------------------------------------------------


def _mteb_summaries() -> dict[str, Any]:
    assert MTEB_SUMMARY is not None
    return json.loads(Path(MTEB_SUMMARY).read_text(encoding="utf-8"))


def digest(value: Any) -> str:
    """check_hubfarm_mteb.py's content digest."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def _flat_labels(values: Any) -> list[Any]:
    return [[int(x) for x in v] if isinstance(v, list) else int(v) for v in values]


def _labels(values: Any) -> list[int]:
    return sorted({int(x) for v in values for x in (v if isinstance(v, list) else [v])})


def pytest_mieb_summary(spec: Any, data: Any) -> dict[str, Any]:
    """What pytest-mieb loaded, in the shape check_hubfarm_mteb.py reports mteb's."""
    from pytest_mieb.data.containers import (
        ClassificationData,
        ClusteringData,
        PairMatchingData,
        RetrievalData,
        STSData,
        ZeroShotData,
    )

    if isinstance(data, ClassificationData):
        dropped = len(spec.params.get("drop_train_rows", ()))
        train = spec.train_split or "train"
        return {
            train: len(data.train.labels) - dropped,
            spec.eval_split: len(data.test.labels),
            "labels": _labels(data.test.labels),
            "labels_digest": digest(_flat_labels(data.test.labels)),
        }
    if isinstance(data, ZeroShotData | ClusteringData):
        out = {
            spec.eval_split: len(data.test.labels),
            "labels": _labels(data.test.labels),
            "labels_digest": digest(_flat_labels(data.test.labels)),
        }
        if isinstance(data, ZeroShotData):
            out["candidates"] = len(data.candidates)
            out["candidates_digest"] = digest(list(data.candidates.texts))
        return out
    if isinstance(data, PairMatchingData):
        return {
            "test": len(data.text_columns[0]),
            "images": len(data.image_columns),
            "texts": len(data.text_columns),
            "texts_digest": digest([list(c.texts) for c in data.text_columns]),
        }
    if isinstance(data, STSData):
        return {
            name: {
                "test": len(pairs.scores),
                "test_scores_digest": digest([round(float(x), 6) for x in pairs.scores]),
            }
            for name, pairs in data.subsets.items()
        }
    if isinstance(data, RetrievalData):
        out = {}
        for name, subset in data.subsets.items():
            corpus = set(subset.corpus_ids)
            summary = {
                "queries": len(subset.query_ids),
                "corpus": len(subset.corpus_ids),
                "judged": sum(len(d) for d in subset.qrels.values()),
                "relevant": sum(1 for d in subset.qrels.values() for s in d.values() if s > 0),
                "unknown_judged_docs": len(
                    {d for docs in subset.qrels.values() for d in docs if d not in corpus}
                ),
            }
            summary["qrels_digest"] = digest(
                sorted([q, d, int(s)] for q, docs in subset.qrels.items() for d, s in docs.items())
            )
            summary["ids_digest"] = digest([sorted(subset.query_ids), sorted(subset.corpus_ids)])
            for side, ids, inputs in (
                ("query", subset.query_ids, subset.queries),
                ("corpus", subset.corpus_ids, subset.corpus),
            ):
                if inputs.texts is not None:
                    pairs = sorted([str(i), str(t)] for i, t in zip(ids, inputs.texts, strict=True))
                    summary[f"{side}_texts_digest"] = digest(pairs)
            if subset.candidates is not None:
                summary["candidates"] = sum(len(c) for c in subset.candidates.values())
                summary["candidates_digest"] = digest(
                    sorted([q, sorted(c)] for q, c in subset.candidates.items())
                )
            out[name] = summary
        return out
    raise TypeError(f"no summary for {type(data).__name__}")


def _comparable(spec: Any, theirs: dict[str, Any]) -> dict[str, Any]:
    """mteb's summary restricted to what pytest-mieb evaluates (eval split, used subsets)."""
    if spec.protocol in ("visual_sts", "aggregate_of_visual_sts"):
        if spec.protocol == "aggregate_of_visual_sts":
            theirs = next(iter(theirs.values()))
        split = spec.params.get("subtasks", [{}])[0].get("eval_split", spec.eval_split)
        return {
            name: {"test": splits[split], "test_scores_digest": splits[f"{split}_scores_digest"]}
            for name, splits in theirs.items()
        }
    return theirs


@pytest.mark.skipif(MTEB_SUMMARY is None, reason="set HUBFARM_MTEB_SUMMARY to mteb's summary")
@pytest.mark.parametrize("task", [pytest.param(n, id=n) for n in MIEB_TASKS])
def test_pytest_mieb_reads_what_mteb_reads(task: str, tmp_path_factory: Any, offline_caches: Path):
    from pytest_mieb.data import load_task_data

    summaries = _mteb_summaries()
    entry = summaries["tasks"].get(task)
    if entry is None or entry["status"] != "ok":
        pytest.skip(f"mteb did not load {task}: {entry and entry.get('reason')}")
    root = tmp_path_factory.getbasetemp() / f"hubfarm-rows{summaries['rows']}"
    spec = SPECS[task]
    hubfarm.write_mirror(spec, root, rows=summaries["rows"], seed=summaries["seed"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CandidateTextsWarning)
        data = load_task_data(spec, data_dir=root)
    assert pytest_mieb_summary(spec, data) == _comparable(spec, entry["summary"])
