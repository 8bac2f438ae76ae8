"""Retrieval loaders (BEIR, ViDoRe and the custom constructions) on hub-layout mirrors."""

from __future__ import annotations

from pathlib import Path

import pytest
from data_layouts import REVISION, cell, configs_repo, default_repo, make_spec, solid
from datasets import Features, Image, Sequence, Value

from pytest_mieb.data import load_task_data
from pytest_mieb.data.containers import PairMatchingData, RetrievalData
from pytest_mieb.data.errors import DataError
from pytest_mieb.tasks.spec import DatasetRef

STR = Value("string")


def qrels_table(rows: list[tuple[object, object, object]], id_type=STR, score_type="int8"):
    features = Features({"query-id": id_type, "corpus-id": id_type, "score": Value(score_type)})
    return (
        {
            "query-id": [r[0] for r in rows],
            "corpus-id": [r[1] for r in rows],
            "score": [r[2] for r in rows],
        },
        features,
    )


def retrieval_spec(ref: DatasetRef, category: str, **overrides):
    query, _, corpus = category.partition("2")
    letters = {"i": "image", "t": "text"}
    params = {
        "query_modalities": [letters[c] for c in query],
        "corpus_modalities": [letters[c] for c in corpus],
    }
    params.update(overrides.pop("params", {}))
    fields = {
        "dataset": ref,
        "type": "Any2AnyRetrieval",
        "protocol": "retrieval",
        "loader": "beir",
        "category": category,
        "main_score": "ndcg_at_10",
        "params": params,
    }
    fields.update(overrides)
    return make_spec(**fields)


def beir_repo(root: Path) -> DatasetRef:
    """configs corpus / queries / default with `_id`, titles and an instruction column."""
    ref = DatasetRef("test-org/beir", REVISION)
    corpus = (
        {
            "_id": ["d1", "d2", "d3"],
            "title": ["Intro", "", None],
            "text": [" body one ", "body two", "body three "],
            "image": [cell(solid(1)), cell(solid(2)), cell(solid(3))],
        },
        Features({"_id": STR, "title": STR, "text": STR, "image": Image()}),
    )
    queries = (
        {
            "_id": ["q1", "q2", "q3"],
            "text": ["find one", "find two", "unjudged"],
            "instruction": ["(be brief)", "(be kind)", "(none)"],
            "image": [cell(solid(11)), cell(solid(12)), cell(solid(13))],
        },
        Features({"_id": STR, "text": STR, "instruction": STR, "image": Image()}),
    )
    qrels = qrels_table([("q1", "d1", 1), ("q2", "d2", 2), ("q2", "d3", 0)], score_type="int64")
    configs_repo(
        root / ref.path,
        {"corpus": {"test": corpus}, "queries": {"test": queries}, "default": {"test": qrels}},
    )
    return ref


def test_beir_texts_ids_qrels_and_dropped_queries(data_dir: Path) -> None:
    ref = beir_repo(data_dir)
    data = load_task_data(retrieval_spec(ref, "t2t"), data_dir=data_dir)
    assert isinstance(data, RetrievalData)
    subset = data.subsets["default"]
    assert list(subset.query_ids) == ["q1", "q2"]  # q3 has no qrels
    assert subset.queries.texts == ["find one (be brief)", "find two (be kind)"]
    assert subset.queries.images is None  # text-only side: the image column is not used
    assert "#" in subset.queries.key  # a row subset of the queries column
    assert list(subset.corpus_ids) == ["d1", "d2", "d3"]
    assert subset.corpus.texts == ["Intro  body one", "body two", "body three"]
    assert subset.corpus.key == f"{ref}/corpus/test/title+text"
    assert subset.qrels == {"q1": {"d1": 1}, "q2": {"d2": 2, "d3": 0}}
    assert subset.candidates is None


def test_beir_fused_query_side_and_image_corpus(data_dir: Path) -> None:
    ref = beir_repo(data_dir)
    subset = load_task_data(retrieval_spec(ref, "it2i"), data_dir=data_dir).subsets["default"]
    assert subset.queries.kind == "image+text"
    assert [x.getpixel((0, 0))[0] for x in subset.queries.images] == [11, 12]
    assert subset.queries.texts == ["find one (be brief)", "find two (be kind)"]
    assert subset.corpus.kind == "image"
    assert subset.corpus.texts is None


def mbeir_repo(root: Path, **extra_configs) -> DatasetRef:
    """M-BEIR / JamieSJS layout: configs corpus (split corpus) / query / qrels, plus an
    instruction config (and any extra configs)."""
    ref = DatasetRef("test-org/mbeir", REVISION)
    corpus = (
        {
            "id": ["c1", "c2", "c3"],
            "modality": ["image"] * 3,
            "image": [cell(solid(1)), cell(solid(2)), cell(solid(3))],
        },
        Features({"id": STR, "modality": STR, "image": Image()}),
    )
    query = (
        {"id": ["q1", "q2"], "text": ["red?", "blue?"], "image": [cell(solid(7)), cell(solid(8))]},
        Features({"id": STR, "text": STR, "image": Image()}),
    )
    configs_repo(
        root / ref.path,
        {
            "corpus": {"corpus": corpus},
            "query": {"test": query},
            "qrels": {
                "test": qrels_table(
                    [
                        ("q1", "c2", 1),
                        ("q1", "c1", 0),
                        ("q2", "c3", 1),
                        ("q2", "c1", 0),
                        ("q2", "c2", 0),
                    ]
                )
            },
            "instruction": {
                "test": (
                    {"query-id": ["q1"], "instruction": ["pick one"]},
                    Features({"query-id": STR, "instruction": STR}),
                )
            },
            **extra_configs,
        },
    )
    return ref


def test_beir_fallback_configs_and_multiple_choice_candidates(data_dir: Path) -> None:
    ref = mbeir_repo(data_dir)
    spec = retrieval_spec(ref, "it2i", protocol="multiple_choice", type="VisionCentricQA")
    subset = load_task_data(spec, data_dir=data_dir).subsets["default"]
    assert list(subset.query_ids) == ["q1", "q2"]
    assert subset.queries.key == f"{ref}/query/test/image+text+instruction"
    assert subset.queries.texts == ["red? pick one", "blue?"]
    assert list(subset.corpus_ids) == ["c1", "c2", "c3"]
    assert subset.candidates == {"q1": ["c2", "c1"], "q2": ["c3", "c1", "c2"]}


def top_ranked_config(rows: dict[str, list[str]]):
    return {
        "test": (
            {"query-id": list(rows), "corpus-ids": list(rows.values())},
            Features({"query-id": STR, "corpus-ids": Sequence(STR)}),
        )
    }


def test_beir_top_ranked_config_gives_a_plain_task_its_candidates(data_dir: Path) -> None:
    ref = mbeir_repo(data_dir, top_ranked=top_ranked_config({"q1": ["c1", "c3"]}))
    subset = load_task_data(retrieval_spec(ref, "it2i"), data_dir=data_dir).subsets["default"]
    assert subset.candidates == {"q1": ["c1", "c3"]}  # q2 has no list: an empty run


def test_multiple_choice_candidates_come_from_qrels_whatever_top_ranked_says(
    data_dir: Path,
) -> None:
    """BLINK's transform overwrites any loaded top_ranked with the judged documents."""
    ref = mbeir_repo(data_dir, top_ranked=top_ranked_config({"q1": ["c1", "c3"], "q2": ["c2"]}))
    spec = retrieval_spec(ref, "it2i", protocol="multiple_choice")
    subset = load_task_data(spec, data_dir=data_dir).subsets["default"]
    assert subset.candidates == {"q1": ["c2", "c1"], "q2": ["c3", "c1", "c2"]}


def test_a_top_ranked_candidate_outside_the_corpus_is_a_data_error(data_dir: Path) -> None:
    ref = mbeir_repo(data_dir, top_ranked=top_ranked_config({"q2": ["c1", "cX"]}))
    with pytest.raises(DataError, match=r"top_ranked.*'q2'.*\['cX'\]"):
        load_task_data(retrieval_spec(ref, "it2i"), data_dir=data_dir)


def test_vidore_ids_scores_and_text_queries(data_dir: Path) -> None:
    ref = DatasetRef("test-org/docvqa_test_subsampled_beir", REVISION)
    int64 = Value("int64")
    configs_repo(
        data_dir / ref.path,
        {
            "queries": {
                "test": (
                    {"query-id": [5, 6, 7], "query": ["what?", "who?", "why?"]},
                    Features({"query-id": int64, "query": STR}),
                )
            },
            "corpus": {
                "test": (
                    {"corpus-id": [0, 1], "image": [cell(solid(1)), cell(solid(2))]},
                    Features({"corpus-id": int64, "image": Image()}),
                )
            },
            "qrels": {"test": qrels_table([(5, 1, 1.0), (6, 0, 1.0)], int64, "float64")},
        },
    )
    spec = retrieval_spec(ref, "t2i", loader="vidore", type="DocumentUnderstanding")
    subset = load_task_data(spec, data_dir=data_dir).subsets["default"]
    assert list(subset.query_ids) == ["query-test-5", "query-test-6"]
    assert subset.queries.texts == ["what?", "who?"]
    assert list(subset.corpus_ids) == ["corpus-test-0", "corpus-test-1"]
    assert subset.qrels == {
        "query-test-5": {"corpus-test-1": 1},
        "query-test-6": {"corpus-test-0": 1},
    }
    assert isinstance(subset.qrels["query-test-5"]["corpus-test-1"], int)
    assert subset.corpus.kind == "image"


def test_scimmir_diagonal_in_both_directions(data_dir: Path) -> None:
    ref = DatasetRef("test-org/SciMMIR", REVISION)
    features = Features({"image": Image(), "text": STR, "class": STR})
    default_repo(
        data_dir / ref.path,
        {
            "test": (
                {
                    "image": [cell(solid(1)), cell(solid(2))],
                    "text": ["fig a", "fig b"],
                    "class": ["x", "y"],
                },
                features,
            )
        },
    )
    i2t = load_task_data(retrieval_spec(ref, "i2t", loader="scimmir"), data_dir=data_dir)
    t2i = load_task_data(retrieval_spec(ref, "t2i", loader="scimmir"), data_dir=data_dir)
    a, b = i2t.subsets["default"], t2i.subsets["default"]
    assert list(a.query_ids) == ["query-test-0", "query-test-1"]
    assert list(a.corpus_ids) == ["corpus-test-0", "corpus-test-1"]
    assert a.qrels == {"query-test-0": {"corpus-test-0": 1}, "query-test-1": {"corpus-test-1": 1}}
    assert a.queries.kind == "image" and a.corpus.texts == ["fig a", "fig b"]
    assert b.queries.texts == ["fig a", "fig b"] and b.corpus.kind == "image"
    assert a.queries.key == b.corpus.key  # the same image column, encoded once


def memes_table(ids: list[int], texts: list[str], first_pixel: int):
    features = Features(
        {"id": Value("int64"), "image": Image(), "text": STR, "label": Value("int64"), "split": STR}
    )
    return (
        {
            "id": ids,
            "image": [cell(solid(first_pixel + i)) for i in range(len(ids))],
            "text": texts,
            "label": [0] * len(ids),
            "split": ["x"] * len(ids),
        },
        features,
    )


def test_hateful_memes_pools_splits_and_dedups_captions(data_dir: Path) -> None:
    ref = DatasetRef("test-org/MMSoc_HatefulMemes", REVISION)
    default_repo(
        data_dir / ref.path,
        {
            "train": memes_table([30, 31], ["hello", "fresh"], 30),
            "validation": memes_table([20], ["dup"], 20),
            "test": memes_table([10, 11, 12], ["dup", "hello", "dup"], 10),
        },
    )
    t2i = load_task_data(retrieval_spec(ref, "t2i", loader="hateful_memes"), data_dir=data_dir)
    subset = t2i.subsets["default"]
    # pooled order test, validation, train; first occurrence of each caption kept
    assert list(subset.corpus_ids) == ["corpus-10", "corpus-11", "corpus-31"]
    assert [x.getpixel((0, 0))[0] for x in subset.corpus.images] == [10, 11, 31]
    assert list(subset.query_ids) == ["query-10", "query-11", "query-12"]
    assert subset.queries.texts == ["dup", "hello", "dup"]
    assert subset.qrels["query-12"] == {"corpus-12": 1}  # de-duplicated away, as in mteb
    i2t = load_task_data(retrieval_spec(ref, "i2t", loader="hateful_memes"), data_dir=data_dir)
    assert i2t.subsets["default"].corpus.texts == ["dup", "hello", "fresh"]
    assert i2t.subsets["default"].queries.kind == "image"


def test_memotion_filters_null_captions_and_numbers_rows_after_filtering(data_dir: Path) -> None:
    ref = DatasetRef("test-org/MMSoc_Memotion_corrected", REVISION)
    features = Features({"image": Image(), "text_corrected": STR, "text_ocr": STR})

    def table(texts, first):
        return (
            {
                "image": [cell(solid(first + i)) for i in range(len(texts))],
                "text_corrected": texts,
                "text_ocr": ["o"] * len(texts),
            },
            features,
        )

    default_repo(
        data_dir / ref.path,
        {"train": table(["a", None, "b"], 10), "test": table([None, "c", "d"], 20)},
    )
    i2t = load_task_data(retrieval_spec(ref, "i2t", loader="memotion"), data_dir=data_dir)
    subset = i2t.subsets["default"]
    splits = list(_split_order(data_dir / ref.path))
    expected_corpus = {
        "train": ["corpus-train-0", "corpus-train-1"],
        "test": ["corpus-test-0", "corpus-test-1"],
    }
    assert list(subset.corpus_ids) == [c for s in splits for c in expected_corpus[s]]
    texts = {"train": ["a", "b"], "test": ["c", "d"]}
    assert subset.corpus.texts == [t for s in splits for t in texts[s]]
    assert list(subset.query_ids) == ["query-test-0", "query-test-1"]
    assert [x.getpixel((0, 0))[0] for x in subset.queries.images] == [21, 22]
    assert subset.qrels == {
        "query-test-0": {"corpus-test-0": 1},
        "query-test-1": {"corpus-test-1": 1},
    }
    t2i = load_task_data(retrieval_spec(ref, "t2i", loader="memotion"), data_dir=data_dir)
    assert t2i.subsets["default"].queries.texts == ["c", "d"]


def _split_order(root: Path) -> list[str]:
    import datasets

    return list(datasets.load_dataset(str(root)))


def test_wit_and_xm3600_one_query_per_caption(data_dir: Path) -> None:
    ref = DatasetRef("test-org/xm3600", REVISION)
    raw_image = Features(
        {
            "image_id": STR,
            "captions": Sequence(STR),
            "image": {"bytes": Value("binary"), "path": Value("string")},
        }
    )

    def table(prefix, captions):
        return (
            {
                "image_id": [f"{prefix}{i}" for i in range(len(captions))],
                "captions": captions,
                "image": [cell(solid(40 + i)) for i in range(len(captions))],
            },
            raw_image,
        )

    configs_repo(
        data_dir / ref.path,
        {
            "default": {
                "en": table("e", [["a dog", "one dog"], ["a cat"]]),
                "de": table("g", [["ein Hund"]]),
            }
        },
    )
    for loader in ("xm3600", "wit"):
        spec = retrieval_spec(ref, "t2i", loader=loader, subsets=("en", "de"))
        data = load_task_data(spec, data_dir=data_dir)
        en = data.subsets["en"]
        assert list(en.query_ids) == ["query-e0-0", "query-e0-1", "query-e1-0"]
        assert en.queries.texts == ["a dog", "one dog", "a cat"]
        assert list(en.corpus_ids) == ["corpus-e0", "corpus-e1"]
        assert en.qrels["query-e0-1"] == {"corpus-e0": 1}
        assert en.corpus.images[1].getpixel((0, 0)) == (41, 41, 41)  # raw struct decoded
        assert list(data.subsets["de"].query_ids) == ["query-g0-0"]


def test_xflickr30k_co_one_caption_per_image(data_dir: Path) -> None:
    ref = DatasetRef("test-org/xflickrco", REVISION)
    features = Features(
        {"id": STR, "sentences": STR, "image": {"bytes": Value("binary"), "path": Value("string")}}
    )
    configs_repo(
        data_dir / ref.path,
        {
            "default": {
                "ja": (
                    {
                        "id": ["x1", "x2"],
                        "sentences": ["犬", "猫"],
                        "image": [cell(solid(1)), cell(solid(2))],
                    },
                    features,
                )
            }
        },
    )
    spec = retrieval_spec(ref, "t2i", loader="xflickr30k_co", subsets=("ja",))
    subset = load_task_data(spec, data_dir=data_dir).subsets["ja"]
    assert list(subset.query_ids) == ["query-x1", "query-x2"]
    assert subset.queries.texts == ["犬", "猫"]
    assert subset.qrels == {"query-x1": {"corpus-x1": 1}, "query-x2": {"corpus-x2": 1}}


def test_cvbench_filters_task_and_pools_distinct_choices(data_dir: Path) -> None:
    ref = DatasetRef("test-org/CV-Bench", REVISION)
    features = Features(
        {
            "task": STR,
            "image": Image(),
            "question": STR,
            "choices": Sequence(STR),
            "answer": STR,
            "source": STR,
        }
    )
    default_repo(
        data_dir / ref.path,
        {
            "test": (
                {
                    "task": ["Count", "Depth", "Count", "Count"],
                    "image": [cell(solid(i)) for i in range(4)],
                    "question": ["how many?", "closer?", "count?", "number?"],
                    "choices": [["1", "2"], ["a", "b"], ["2", "3", "4"], ["4", "1"]],
                    "answer": ["(B)", "(A)", "(C)", "(A)"],
                    "source": ["s"] * 4,
                },
                features,
            )
        },
    )
    spec = retrieval_spec(
        ref, "it2t", loader="cvbench", protocol="multiple_choice", params={"cvbench_task": "Count"}
    )
    subset = load_task_data(spec, data_dir=data_dir).subsets["default"]
    assert list(subset.query_ids) == ["query-test-0", "query-test-1", "query-test-2"]
    assert subset.queries.texts == ["how many?", "count?", "number?"]
    assert [x.getpixel((0, 0))[0] for x in subset.queries.images] == [0, 2, 3]
    assert subset.corpus.texts == ["1", "2", "3", "4"]
    assert list(subset.corpus_ids) == [f"corpus-test-{n}" for n in range(4)]
    assert subset.qrels == {
        "query-test-0": {"corpus-test-0": 0, "corpus-test-1": 1},
        "query-test-1": {"corpus-test-1": 0, "corpus-test-2": 0, "corpus-test-3": 1},
        "query-test-2": {"corpus-test-3": 1, "corpus-test-0": 0},
    }
    assert subset.candidates["query-test-2"] == ["corpus-test-3", "corpus-test-0"]


def test_imagecode_builds_ten_image_columns(data_dir: Path) -> None:
    ref = DatasetRef("test-org/imagecode-multi", REVISION)
    corpus_ids = [f"c{k}" for k in range(12)]
    pool_q1 = ["c3", "c0", "c1", "c2", "c4", "c5", "c6", "c7", "c8", "c9", "c10"]
    pool_q2 = ["c11", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c0"]
    rows = [("q1", c, int(c == "c0")) for c in pool_q1] + [
        ("q2", c, int(c == "c2")) for c in pool_q2
    ]
    configs_repo(
        data_dir / ref.path,
        {
            "corpus": {
                "corpus": (
                    {"id": corpus_ids, "image": [cell(solid(k)) for k in range(12)]},
                    Features({"id": STR, "image": Image()}),
                )
            },
            "query": {
                "test": (
                    {"id": ["q1", "q2"], "text": ["first", "second"]},
                    Features({"id": STR, "text": STR}),
                )
            },
            "qrels": {"test": qrels_table(rows)},
        },
    )
    spec = make_spec(
        dataset=ref,
        type="Compositionality",
        protocol="image_text_pair_matching",
        loader="imagecode",
        main_score="image_acc",
    )
    data = load_task_data(spec, data_dir=data_dir)
    assert isinstance(data, PairMatchingData)
    assert len(data.image_columns) == 10
    assert [t.texts for t in data.text_columns] == [["first", "second"]]
    grid = [[col.images[r].getpixel((0, 0))[0] for col in data.image_columns] for r in range(2)]
    assert grid[0] == [0, 3, 1, 2, 4, 5, 6, 7, 8, 9]  # correct first, then nine in qrels order
    assert grid[1] == [2, 11, 1, 3, 4, 5, 6, 7, 8, 0]
