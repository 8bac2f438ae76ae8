"""`limit`: deterministic, stratified smoke subsets whose cache keys differ from the full data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from data_layouts import REVISION, cell, configs_repo, default_repo, make_spec, solid
from datasets import ClassLabel, Features, Image, Value

from pytest_mieb.data import load_task_data
from pytest_mieb.data.containers import Inputs, RetrievalSubset, rows_digest
from pytest_mieb.data.sampling import limit_retrieval, random_rows, stratified_rows
from pytest_mieb.tasks.spec import DatasetRef


def test_stratified_rows_take_labels_in_turn() -> None:
    labels = [0] * 50 + [1] * 30 + [2] * 5
    rows = stratified_rows(labels, 12, seed=42)
    assert len(rows) == 12
    assert rows == sorted(rows) and len(set(rows)) == 12
    assert Counter(labels[r] for r in rows) == {0: 4, 1: 4, 2: 4}


def test_stratified_rows_fill_from_larger_labels_when_one_runs_out() -> None:
    labels = [0] * 50 + [1] * 30 + [2] * 2
    counts = Counter(labels[r] for r in stratified_rows(labels, 20, seed=1))
    assert counts == {0: 9, 1: 9, 2: 2}


def test_stratified_rows_are_deterministic_and_seeded() -> None:
    labels = [i % 7 for i in range(500)]
    assert stratified_rows(labels, 40, seed=42) == stratified_rows(labels, 40, seed=42)
    assert stratified_rows(labels, 40, seed=42) != stratified_rows(labels, 40, seed=43)


def test_stratified_rows_keep_everything_under_the_limit() -> None:
    assert stratified_rows(["b", "a", "b"], 10, seed=0) == [0, 1, 2]


def test_stratified_rows_use_the_first_label_of_multilabel_rows() -> None:
    labels = [[0, 1]] * 10 + [[1]] * 10 + [[]] * 10
    counts = Counter(str(labels[r][:1]) for r in stratified_rows(labels, 6, seed=3))
    assert counts == {"[0]": 2, "[1]": 2, "[]": 2}


def test_random_rows_sample_without_replacement() -> None:
    rows = random_rows(100, 10, seed=5)
    assert len(set(rows)) == 10 and rows == sorted(rows) and max(rows) < 100
    assert rows == random_rows(100, 10, seed=5)
    assert random_rows(4, 10, seed=5) == [0, 1, 2, 3]


def retrieval_subset() -> RetrievalSubset:
    query_ids = [f"q{i}" for i in range(10)]
    corpus_ids = [f"d{i}" for i in range(40)] + ["q3"]
    qrels = {f"q{i}": {f"d{i}": 1, f"d{i + 10}": 0} for i in range(10)}
    return RetrievalSubset(
        query_ids=query_ids,
        queries=Inputs(key="k/queries", texts=[f"text {q}" for q in query_ids]),
        corpus_ids=corpus_ids,
        corpus=Inputs(key="k/corpus", texts=[f"doc {d}" for d in corpus_ids]),
        qrels=qrels,
        candidates={q: [*list(d), "d39"] for q, d in qrels.items()},
    )


def test_limit_retrieval_keeps_judged_documents_and_fills_the_corpus() -> None:
    full = retrieval_subset()
    small = limit_retrieval(full, 3, seed=42)
    assert len(small.query_ids) == 3
    kept = set(small.corpus_ids)
    for qid in small.query_ids:
        assert set(full.qrels[qid]) <= kept  # relevant and score-0 documents
        assert set(small.candidates[qid]) <= kept
        assert small.qrels[qid] == full.qrels[qid]
    assert set(small.qrels) == set(small.query_ids) == set(small.candidates)
    assert len(kept) == max(3, len(set().union(*(full.candidates[q] for q in small.query_ids))))
    assert small.queries.texts == [f"text {q}" for q in small.query_ids]
    assert small.corpus.texts == [f"doc {d}" for d in small.corpus_ids]
    assert small.queries.key.startswith("k/queries#") and small.corpus.key.startswith("k/corpus#")
    assert limit_retrieval(full, 3, seed=42).query_ids == small.query_ids


def test_limit_retrieval_fills_up_to_the_limit_and_keeps_query_copies() -> None:
    full = retrieval_subset()
    small = limit_retrieval(full, 10, seed=7)
    assert len(small.query_ids) == 10 and len(small.corpus_ids) == 22  # d0-d19, d39, q3
    assert "q3" in small.corpus_ids  # a corpus item with a query's id (skip-first-result tasks)
    wide = limit_retrieval(full, 30, seed=7)
    assert len(wide.corpus_ids) == 30


def test_limit_retrieval_without_effect_returns_the_same_subset() -> None:
    full = retrieval_subset()
    assert limit_retrieval(full, 100, seed=1) is full


def digits_repo(root: Path) -> DatasetRef:
    ref = DatasetRef("test-org/digits", REVISION)
    features = Features({"image": Image(), "label": ClassLabel(names=["a", "b", "c"])})
    labels = [0] * 12 + [1] * 6 + [2] * 3
    table = ({"image": [cell(solid(i)) for i in range(len(labels))], "label": labels}, features)
    default_repo(root / ref.path, {"train": table, "test": table})
    return ref


def test_limit_subsamples_the_eval_split_by_label(data_dir: Path) -> None:
    ref = digits_repo(data_dir)
    spec = make_spec(dataset=ref, protocol="kmeans_clustering")
    full = load_task_data(spec, data_dir=data_dir)
    small = load_task_data(spec, data_dir=data_dir, limit=6)
    again = load_task_data(spec, data_dir=data_dir, limit=6)
    assert Counter(small.test.labels) == {0: 2, 1: 2, 2: 2}
    assert small.test.inputs.key != full.test.inputs.key
    assert small.test.inputs.key.startswith(full.test.inputs.key + "#")
    assert small.test.inputs.key == again.test.inputs.key
    assert list(small.test.labels) == list(again.test.labels)
    # the images are the rows the labels say
    pixels = [x.getpixel((0, 0))[0] for x in small.test.inputs.images]
    assert [full.test.labels[p] for p in pixels] == list(small.test.labels)
    everything = load_task_data(spec, data_dir=data_dir, limit=1000)
    assert everything.test.inputs.key == full.test.inputs.key


def test_limit_on_zero_shot_keeps_every_candidate(data_dir: Path) -> None:
    ref = digits_repo(data_dir)
    spec = make_spec(
        dataset=ref, protocol="zero_shot", params={"candidate_label_template": "{name}!"}
    )
    small = load_task_data(spec, data_dir=data_dir, limit=3)
    assert sorted(small.test.labels) == [0, 1, 2]
    assert small.candidates.texts == ["a!", "b!", "c!"]


def test_limit_on_sts_and_beir_retrieval(data_dir: Path) -> None:
    sts = DatasetRef("test-org/sts", REVISION)
    features = Features({"sentence1": Image(), "sentence2": Image(), "score": Value("float64")})
    scores = [float(i % 6) for i in range(20)]
    default_repo(
        data_dir / sts.path,
        {
            "test": (
                {
                    "sentence1": [cell(solid(i)) for i in range(20)],
                    "sentence2": [cell(solid(100 + i)) for i in range(20)],
                    "score": scores,
                },
                features,
            )
        },
    )
    pairs = load_task_data(
        make_spec(dataset=sts, protocol="visual_sts"), data_dir=data_dir, limit=5
    ).subsets["default"]
    assert len(pairs.scores) == 5
    firsts = [x.getpixel((0, 0))[0] for x in pairs.first.images]
    assert [x.getpixel((0, 0))[0] - 100 for x in pairs.second.images] == firsts
    assert list(pairs.scores) == [scores[i] for i in firsts]
    assert pairs.first.key.endswith("#" + rows_digest(firsts))

    beir = DatasetRef("test-org/beir", REVISION)
    s = Value("string")
    configs_repo(
        data_dir / beir.path,
        {
            "corpus": {
                "test": (
                    {"id": [f"d{i}" for i in range(30)], "text": [f"doc {i}" for i in range(30)]},
                    Features({"id": s, "text": s}),
                )
            },
            "queries": {
                "test": (
                    {"id": [f"q{i}" for i in range(8)], "text": [f"query {i}" for i in range(8)]},
                    Features({"id": s, "text": s}),
                )
            },
            "default": {
                "test": (
                    {
                        "query-id": [f"q{i}" for i in range(8)],
                        "corpus-id": [f"d{3 * i}" for i in range(8)],
                        "score": [1] * 8,
                    },
                    Features({"query-id": s, "corpus-id": s, "score": Value("int64")}),
                )
            },
        },
    )
    spec = make_spec(dataset=beir, protocol="retrieval", loader="beir", category="t2t")
    subset = load_task_data(spec, data_dir=data_dir, limit=4).subsets["default"]
    assert len(subset.query_ids) == 4 and len(subset.corpus_ids) == 4
    assert {d for q in subset.query_ids for d in subset.qrels[q]} == set(subset.corpus_ids)
