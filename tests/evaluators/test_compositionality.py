"""Compositionality (image-text pair matching): hand-worked rows and the evaluator."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from evaluator_fakes import VectorEmbedder, task_spec

from pytest_mieb.data.containers import Inputs, PairMatchingData
from pytest_mieb.evaluators.compositionality import evaluate_pair_matching, pair_matching_scores
from pytest_mieb.tasks.spec import TaskSpec


def make_spec(main_score="accuracy", **params) -> TaskSpec:
    return task_spec(
        "Wino",
        "Compositionality",
        "image_text_pair_matching",
        main_score,
        "local/wino",
        params=params,
    )


def brute_force(images, texts):
    """Loop-by-loop version of the protocol on (rows, m, d) / (rows, n, d)."""
    t_hits = i_hits = both = 0
    for row_images, row_texts in zip(images, texts, strict=True):
        a = [np.asarray(v) / np.linalg.norm(v) for v in row_images]
        b = [np.asarray(v) / np.linalg.norm(v) for v in row_texts]
        sim = [[float(x @ y) for y in b] for x in a]
        text_ok = all(
            max(range(len(b)), key=lambda j, i=i: (sim[i][j], -j)) == i for i in range(len(a))
        )
        image_ok = all(
            max(range(len(a)), key=lambda i, j=j: (sim[i][j], -i)) == j for j in range(len(b))
        )
        t_hits += text_ok
        i_hits += image_ok
        both += text_ok and image_ok
    n = len(images)
    return {"image_acc": i_hits / n, "text_acc": t_hits / n, "accuracy": both / n}


def test_winoground_rows_hand_worked():
    t = np.array([[[1.0, 0.0], [0.0, 1.0]]] * 3)
    images = np.array(
        [
            [[1.0, 0.1], [0.1, 1.0]],  # everything right
            [[1.0, 0.2], [1.0, 0.3]],  # image 1 prefers text 0; both texts prefer an image
            [[0.0, 1.0], [1.0, 0.0]],  # everything swapped
        ]
    )
    scores = pair_matching_scores(images, t)
    # Row 2: text 0 -> image 0 (cos 0.98 vs 0.96), text 1 -> image 1 (0.29 vs 0.20): image ok.
    assert scores == {"image_acc": pytest.approx(2 / 3), "text_acc": 1 / 3, "accuracy": 1 / 3}


@pytest.mark.parametrize(("m", "n"), [(2, 2), (1, 5), (10, 1), (3, 3)])
def test_random_rows_match_brute_force(m, n):
    rng = np.random.default_rng(m * 10 + n)
    images = rng.normal(size=(25, m, 4))
    texts = rng.normal(size=(25, n, 4))
    got = pair_matching_scores(images, texts)
    assert got == pytest.approx(brute_force(images, texts))


def test_one_image_layout_only_text_acc_counts():
    images = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    texts = np.array([[[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]]] * 2)
    scores = pair_matching_scores(images, texts)
    assert scores == {"image_acc": 0.0, "text_acc": 0.5, "accuracy": 0.0}


def test_one_text_layout_only_image_acc_counts():
    texts = np.array([[[1.0, 0.0]]])
    images = np.array([[[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]]])
    assert pair_matching_scores(images, texts) == {
        "image_acc": 1.0,
        "text_acc": 0.0,
        "accuracy": 0.0,
    }


def test_ties_favour_the_first_item():
    images = np.array([[[1.0, 0.0]]])
    texts = np.array([[[2.0, 0.0], [1.0, 0.0]]])  # identical direction: exact tie
    assert pair_matching_scores(images, texts)["text_acc"] == 1.0


def test_cosine_not_dot_product_decides():
    images = np.array([[[1.0, 0.0]]])
    texts = np.array([[[1.0, 0.1], [10.0, 5.0]]])  # dot prefers text 1, cosine text 0
    assert pair_matching_scores(images, texts)["text_acc"] == 1.0


def make_data(rows):
    """rows: list of (image vectors, texts) -> one Inputs per column."""
    m, n = len(rows[0][0]), len(rows[0][1])
    return PairMatchingData(
        image_columns=[
            Inputs(f"w@0/default/test/image_{i}", images=[r[0][i] for r in rows]) for i in range(m)
        ],
        text_columns=[
            Inputs(f"w@0/default/test/caption_{j}", texts=[r[1][j] for r in rows]) for j in range(n)
        ],
    )


TEXTS = {"cat on mat": [1, 0], "mat on cat": [0, 1], "dog": [1, 1]}


def test_evaluate_pair_matching_end_to_end():
    rows = [
        ([[1, 0.1], [0.1, 1]], ["cat on mat", "mat on cat"]),
        ([[0.1, 1], [1, 0.1]], ["cat on mat", "mat on cat"]),
    ]
    data = make_data(rows)
    embedder = VectorEmbedder(TEXTS)
    scores = evaluate_pair_matching(
        make_spec(n_images_per_sample=2, n_texts_per_sample=2), data, embedder
    )
    assert scores == {
        "default": {"image_acc": 0.5, "text_acc": 0.5, "accuracy": 0.5, "main_score": 0.5}
    }
    assert [c.key for c in embedder.calls] == [
        "w@0/default/test/caption_0",
        "w@0/default/test/caption_1",
        "w@0/default/test/image_0",
        "w@0/default/test/image_1",
    ]


def test_main_score_follows_spec():
    rows = [([[1, 0.1]], ["cat on mat", "mat on cat"])] * 3
    scores = evaluate_pair_matching(make_spec("text_acc"), make_data(rows), VectorEmbedder(TEXTS))
    assert scores["default"]["main_score"] == 1.0
    assert scores["default"]["accuracy"] == 0.0


def test_layout_mismatch_and_bad_embeddings_raise():
    rows = [([[1, 0.1], [0.1, 1]], ["cat on mat", "mat on cat"])]
    with pytest.raises(ValueError, match="Wino: n_texts_per_sample is 5 but the data has 2"):
        evaluate_pair_matching(
            make_spec(n_texts_per_sample=5), make_data(rows), VectorEmbedder(TEXTS)
        )
    wide = [([[1, 0.1, 0], [0.1, 1, 0]], ["cat on mat", "mat on cat"])]
    with pytest.raises(ValueError, match="Wino: image column 0 embeddings have dimension 3"):
        evaluate_pair_matching(make_spec(), make_data(wide), VectorEmbedder(TEXTS))
    zero = [([[0, 0], [0.1, 1]], ["cat on mat", "mat on cat"])]
    with pytest.raises(ValueError, match="Wino: image column 0 embeddings have 1 all-zero row"):
        evaluate_pair_matching(make_spec(), make_data(zero), VectorEmbedder(TEXTS))


def test_deterministic():
    rng = np.random.default_rng(9)
    rows = [(rng.normal(size=(2, 2)).tolist(), ["cat on mat", "dog"]) for _ in range(6)]
    data = make_data(rows)
    first = evaluate_pair_matching(make_spec(), data, VectorEmbedder(TEXTS))
    assert first == evaluate_pair_matching(make_spec(), data, VectorEmbedder(TEXTS))


ROW = ([[1, 0.1], [0.1, 1]], ["cat on mat", "mat on cat"])


@pytest.mark.parametrize("missing", ["image_columns", "text_columns"])
def test_a_layout_without_images_or_without_texts_is_refused(missing):
    data = dataclasses.replace(make_data([ROW]), **{missing: []})
    with pytest.raises(
        ValueError, match=r"^Wino: needs at least one image column and one text column$"
    ):
        evaluate_pair_matching(make_spec(), data, VectorEmbedder(TEXTS))


def test_a_wrong_image_count_names_its_parameter():
    with pytest.raises(ValueError, match=r"^Wino: n_images_per_sample is 3 but the data has 2$"):
        evaluate_pair_matching(
            make_spec(n_images_per_sample=3), make_data([ROW]), VectorEmbedder(TEXTS)
        )


def test_an_empty_split_and_a_short_column_are_refused_naming_the_task():
    full = make_data([ROW])
    empty = dataclasses.replace(
        full, image_columns=[Inputs(c.key, images=[]) for c in full.image_columns]
    )
    with pytest.raises(ValueError, match=r"^Wino: eval split is empty$"):
        evaluate_pair_matching(make_spec(), empty, VectorEmbedder(TEXTS))
    two = make_data([ROW, ROW])
    cut = Inputs("w@0/default/test/caption_1", texts=["dog"])
    short = dataclasses.replace(two, text_columns=[two.text_columns[0], cut])
    with pytest.raises(
        ValueError, match=r"^Wino: column 'w@0/default/test/caption_1' has 1 rows, not 2$"
    ):
        evaluate_pair_matching(make_spec(), short, VectorEmbedder(TEXTS))


def test_a_main_score_the_task_does_not_compute_is_a_spec_error_naming_the_task():
    with pytest.raises(ValueError, match=r"^Wino: main score 'ndcg_at_10' is not one of"):
        evaluate_pair_matching(make_spec("ndcg_at_10"), make_data([ROW]), VectorEmbedder(TEXTS))


@pytest.mark.parametrize(
    ("image_shape", "text_shape"),
    [((2, 1, 4), (3, 1, 4)), ((2, 1, 4), (2, 1, 5))],
    ids=["rows", "dimension"],
)
def test_embeddings_that_do_not_pair_up_are_refused(image_shape, text_shape):
    with pytest.raises(ValueError, match=r"embeddings do not pair up$"):
        pair_matching_scores(np.ones(image_shape), np.ones(text_shape))


def test_no_rows_is_refused_whatever_the_columns():
    with pytest.raises(ValueError, match=r"^no rows to score$"):
        pair_matching_scores(np.ones((0, 1, 4)), np.ones((0, 2, 4)))
