"""Text and scoring details of the custom retrieval loaders, end to end (packaged spec,
hub-layout fixture, real evaluator, a fake model): HatefulMemes' de-duplicated captions,
stripped document texts, CV-Bench options de-duplicated before stripping, a `top_ranked`
config on a plain retrieval task, and repeated ids and judgements.

Expected numbers are the reference's on the same data (mteb 2.26 run in the research notes,
fidelity-16 §3, §5, §7).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from data_layouts import cell, configs_repo, default_repo, solid
from datasets import Features, Image, Sequence, Value

from pytest_mieb.data.containers import Inputs
from pytest_mieb.run import evaluate_task
from pytest_mieb.tasks.index import load_all_specs

STR = Value("string")
SPECS = load_all_specs()


def concept(key: object) -> np.ndarray:
    """A fixed random unit vector per concept: equal concepts, equal vectors."""
    seed = int(hashlib.sha1(repr(key).encode()).hexdigest()[:8], 16)
    vector = np.random.default_rng(seed).normal(size=32)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


class ConceptEmbedder:
    """Texts embed as themselves; an image embeds as `image_concept(red value of pixel 0,0)`.
    Records every call (inputs, prompt type)."""

    similarity = "cosine"
    device = "cpu"

    def __init__(self, image_concept=lambda red: ("image", red)) -> None:
        self.image_concept = image_concept
        self.calls: list[tuple[Inputs, str | None]] = []

    def embed(self, inputs: Inputs, *, prompt_type=None) -> np.ndarray:
        self.calls.append((inputs, prompt_type))
        rows = []
        for i in range(len(inputs)):
            vector = np.zeros(32, np.float32)
            if inputs.texts is not None:
                vector += concept(inputs.texts[i])
            if inputs.images is not None:
                vector += concept(self.image_concept(inputs.images[i].getpixel((0, 0))[0]))
            rows.append(vector)
        return np.stack(rows)

    def texts(self, prompt_type: str) -> list[str]:
        return [t for inputs, p in self.calls if p == prompt_type for t in inputs.texts or ()]


def write_spec_mirror(data_dir: Path, task: str, write) -> None:
    write(data_dir / SPECS[task].dataset.path)


# -- HatefulMemes ---------------------------------------------------------------------------

MEMES = {
    "test": [(1, "A"), (2, "B"), (3, "A"), (4, "C")],
    "validation": [(5, "B"), (6, "D")],
    "train": [(7, "E"), (8, "C")],
}
CAPTION = {row_id: text for rows in MEMES.values() for row_id, text in rows}


def memes_repo(root: Path) -> None:
    features = Features(
        {"id": Value("int64"), "image": Image(), "text": STR, "label": Value("int64"), "split": STR}
    )
    default_repo(
        root,
        {
            split: (
                {
                    "id": [i for i, _ in rows],
                    "image": [cell(solid(i)) for i, _ in rows],
                    "text": [t for _, t in rows],
                    "label": [0] * len(rows),
                    "split": [split] * len(rows),
                },
                features,
            )
            for split, rows in MEMES.items()
        },
    )


@pytest.mark.parametrize("task", ["HatefulMemesI2TRetrieval", "HatefulMemesT2IRetrieval"])
def test_hateful_memes_queries_whose_caption_was_deduplicated_away_score_zero(
    data_dir: Path, task: str
) -> None:
    """test row 3 repeats row 1's caption: its only relevant document (corpus-3) is
    de-duplicated away, so it counts as 0 in the mean (mteb: 0.75 on every measure)."""
    write_spec_mirror(data_dir, task, memes_repo)
    perfect = ConceptEmbedder(image_concept=lambda red: CAPTION[red])  # image k "means" caption k
    scores = evaluate_task(SPECS[task], perfect, data_dir=data_dir, per_item=True)
    got = scores.subsets["default"]
    for metric in ("ndcg_at_10", "recall_at_1", "hit_rate_at_10", "mrr_at_10", "map_at_10"):
        assert got[metric] == 0.75, metric
    assert got["main_score"] == 0.75
    assert list(scores.per_item["ndcg_at_10"]["default"]) == [1.0, 1.0, 0.0, 1.0]


# -- stripped document texts ----------------------------------------------------------------


def scimmir_repo(root: Path) -> None:
    features = Features({"image": Image(), "text": STR})
    texts = [" figure one ", "figure two\n", "figure three"]
    default_repo(
        root,
        {"test": ({"image": [cell(solid(k)) for k in range(3)], "text": texts}, features)},
    )


def test_scimmir_documents_are_stripped_and_queries_are_not(data_dir: Path) -> None:
    write_spec_mirror(data_dir, "SciMMIRI2TRetrieval", scimmir_repo)
    padded = [" figure one ", "figure two\n", "figure three"]
    meaning = {k: padded[k].strip() for k in range(3)}
    i2t = ConceptEmbedder(image_concept=lambda red: meaning[red])
    got = evaluate_task(SPECS["SciMMIRI2TRetrieval"], i2t, data_dir=data_dir)
    assert i2t.texts("document") == ["figure one", "figure two", "figure three"]
    assert got.subsets["default"]["main_score"] == 1.0  # the stripped texts match
    t2i = ConceptEmbedder()
    evaluate_task(SPECS["SciMMIRT2IRetrieval"], t2i, data_dir=data_dir)
    assert t2i.texts("query") == padded


def cvbench_repo(root: Path) -> None:
    features = Features(
        {"task": STR, "image": Image(), "question": STR, "choices": Sequence(STR), "answer": STR}
    )
    default_repo(
        root,
        {
            "test": (
                {
                    "task": ["Count", "Count"],
                    "image": [cell(solid(1)), cell(solid(2))],
                    "question": ["how many? ", "how many? "],
                    "choices": [[" 3", "3", "4"], ["3", " 3", "4"]],
                    "answer": ["(A)", "(A)"],
                },
                features,
            )
        },
    )


def test_cvbench_options_are_deduplicated_raw_and_encoded_stripped(data_dir: Path) -> None:
    """' 3' and '3' are two documents (corpus-test-0, -1) that embed alike once stripped;
    the tie goes to the larger id, corpus-test-1 ('3'): right for row 2, wrong for row 1."""
    write_spec_mirror(data_dir, "CVBenchCount", cvbench_repo)
    embedder = ConceptEmbedder(image_concept=lambda red: "3")
    scores = evaluate_task(SPECS["CVBenchCount"], embedder, data_dir=data_dir, per_item=True)
    assert embedder.texts("document") == ["3", "3", "4"]
    assert embedder.texts("query") == ["how many? ", "how many? "]
    assert list(scores.per_item["accuracy"]["default"]) == [0.0, 1.0]
    assert scores.subsets["default"]["accuracy"] == 0.5


# -- top_ranked -----------------------------------------------------------------------------


def flickr_with_top_ranked(root: Path) -> None:
    """Flickr30kI2T in the BEIR layout plus a `top_ranked` config (research E3)."""
    configs_repo(
        root,
        {
            "corpus": {
                "test": (
                    {"id": ["d1", "d2", "d3"], "text": ["one", "two", "three"]},
                    Features({"id": STR, "text": STR}),
                )
            },
            "query": {
                "test": (
                    {"id": ["q1", "q2", "q3"], "image": [cell(solid(k)) for k in (1, 2, 3)]},
                    Features({"id": STR, "image": Image()}),
                )
            },
            "qrels": {
                "test": (
                    {
                        "query-id": ["q1", "q2", "q3"],
                        "corpus-id": ["d1", "d2", "d3"],
                        "score": [1, 1, 1],
                    },
                    Features({"query-id": STR, "corpus-id": STR, "score": Value("int64")}),
                )
            },
            "top_ranked": {
                "test": (
                    {"query-id": ["q1", "q2"], "corpus-ids": [["d2", "d3"], ["d1", "d2"]]},
                    Features({"query-id": STR, "corpus-ids": Sequence(STR)}),
                )
            },
        },
    )


def test_a_top_ranked_config_turns_retrieval_into_reranking(data_dir: Path) -> None:
    """q1's candidates miss its document (0), q2 finds it (1), q3 has no list (0): mteb's
    ndcg@10 is 0.33333 on this data."""
    spec = SPECS["Flickr30kI2TRetrieval"]
    write_spec_mirror(data_dir, "Flickr30kI2TRetrieval", flickr_with_top_ranked)
    words = {1: "one", 2: "two", 3: "three"}
    perfect = ConceptEmbedder(image_concept=lambda red: words[red])
    scores = evaluate_task(spec, perfect, data_dir=data_dir, per_item=True)
    assert scores.subsets["default"]["ndcg_at_10"] == pytest.approx(0.33333)
    assert list(scores.per_item["ndcg_at_10"]["default"]) == [0.0, 1.0, 0.0]


# -- repeated ids ---------------------------------------------------------------------------


def flickr_with_repeats(root: Path) -> None:
    """Corpus id d2 on two rows, query id q2 on two rows, the pair (q2, d1) judged twice (0,
    then 1) and (q4, d3) twice (1, then 0)."""
    configs_repo(
        root,
        {
            "corpus": {
                "test": (
                    {
                        "id": ["d1", "d2", "d2", "d3", "d4"],
                        "text": ["one", "two", "two", "three", "four"],
                    },
                    Features({"id": STR, "text": STR}),
                )
            },
            "query": {
                "test": (
                    {
                        "id": ["q1", "q2", "q2", "q3", "q4"],
                        "image": [cell(solid(k)) for k in range(1, 6)],
                    },
                    Features({"id": STR, "image": Image()}),
                )
            },
            "qrels": {
                "test": (
                    {
                        "query-id": ["q1", "q2", "q2", "q3", "q4", "q4"],
                        "corpus-id": ["d2", "d1", "d1", "d3", "d3", "d3"],
                        "score": [1, 0, 1, 1, 1, 0],
                    },
                    Features({"query-id": STR, "corpus-id": STR, "score": Value("int64")}),
                )
            },
        },
    )


def test_repeated_ids_are_merged_and_repeated_judgements_keep_the_later_row(
    data_dir: Path,
) -> None:
    """mteb 2.26 on this data (run with its own Flickr30kI2TRetrieval class): per-query
    ndcg@10 q1..q4 = 1, 1, 1, 0 (q4's later judgement is 0), every mean 0.75; q2 is
    evaluated once. Before, the repeated ids made the task unrunnable."""
    spec = SPECS["Flickr30kI2TRetrieval"]
    write_spec_mirror(data_dir, "Flickr30kI2TRetrieval", flickr_with_repeats)
    words = {1: "two", 2: "one", 3: "one", 4: "three", 5: "three"}
    model = ConceptEmbedder(image_concept=lambda red: words[red])
    scores = evaluate_task(spec, model, data_dir=data_dir, per_item=True)
    got = scores.subsets["default"]
    for metric in ("ndcg_at_10", "recall_at_1", "mrr_at_10", "map_at_10", "recall_at_10"):
        assert got[metric] == 0.75, metric
    assert list(scores.per_item["ndcg_at_10"]["default"]) == [1.0, 1.0, 1.0, 0.0]
