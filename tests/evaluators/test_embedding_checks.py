"""The one-line errors an evaluator gives for unusable embeddings or inputs, word for word.

Written against mutants the rest of the suite let through (docs/testing.md): a message that
names the wrong count, or the wrong side, misleads whoever reads it.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from evaluator_fakes import VectorEmbedder

from pytest_mieb.data.containers import Inputs
from pytest_mieb.embed.multivector import MultiVectors
from pytest_mieb.evaluators import _common
from pytest_mieb.evaluators.base import EmbeddingError, check_embeddings, checked


def refused(message: str):
    return pytest.raises(EmbeddingError, match=f"^{re.escape(message)}$")


def test_wrong_shape_row_count_and_width_are_named() -> None:
    with refused("T: query embeddings must be 2-D (n, dim), got shape (3,)"):
        check_embeddings("T", "query", np.ones(3))
    with refused("T: query embeddings have 2 rows, expected 3"):
        check_embeddings("T", "query", np.ones((2, 5)), n_rows=3)
    with refused(
        "T: corpus embeddings have dimension 5, expected 4 "
        "(mismatched embedding sizes between the compared sides)"
    ):
        check_embeddings("T", "corpus", np.ones((2, 5)), n_rows=2, dim=4)


def test_non_finite_rows_are_counted() -> None:
    emb = np.ones((4, 3))
    emb[1, 0] = np.nan
    emb[3, 2] = np.inf
    emb[3, 1] = -np.inf
    with refused("T: image embeddings contain NaN or inf in 2 row(s)"):
        check_embeddings("T", "image", emb)


def test_all_zero_rows_are_counted_and_the_first_is_named() -> None:
    emb = np.ones((5, 2))
    emb[2] = 0
    emb[4] = 0
    with refused("T: text embeddings have 2 all-zero row(s) (first at row 2)"):
        check_embeddings("T", "text", emb)


def test_good_embeddings_come_back_as_float32_of_the_same_values() -> None:
    emb = np.array([[1.0, 2.0], [0.0, -1.0]])
    out = check_embeddings("T", "x", emb, n_rows=2, dim=2)
    assert out.dtype == np.float32 and out.tolist() == emb.tolist()


def test_common_input_checks_name_the_task_and_the_counts() -> None:
    with pytest.raises(ValueError, match=r"^T: eval split has 3 inputs but 2 labels$"):
        _common.require_same_length("T", "eval split", [1, 2, 3], [0, 1])
    _common.require_same_length("T", "eval split", [1, 2], [0, 1])
    with pytest.raises(ValueError, match=r"^T: corpus is empty$"):
        _common.require_rows("T", "corpus", 0)
    _common.require_rows("T", "corpus", 1)
    with pytest.raises(
        ValueError, match=r"^T: main score 'f1' is not one of the metrics \(accuracy, ap\)$"
    ):
        _common.with_main_score("T", {"accuracy": 1.0, "ap": 0.5}, "f1")
    assert _common.with_main_score("T", {"accuracy": np.float32(0.5)}, "accuracy") == {
        "accuracy": 0.5,
        "main_score": 0.5,
    }


def test_nan_mean_skips_nan_and_is_nan_when_nothing_is_left() -> None:
    from pytest_mieb.metrics.classification import _nan_mean

    assert _nan_mean([1.0, float("nan"), 2.0]) == 1.5
    assert np.isnan(_nan_mean([float("nan")]))
    assert np.isnan(_nan_mean([]))


def test_l2_normalize_gives_unit_rows() -> None:
    from pytest_mieb.evaluators.base import l2_normalize

    out = l2_normalize(np.array([[3.0, 4.0], [0.0, 2.0]]))
    assert out.tolist() == [[0.6, 0.8], [0.0, 1.0]]


def test_the_count_of_non_finite_rows_is_of_the_bad_ones() -> None:
    emb = np.ones((5, 3))
    emb[0, 1] = np.nan  # one bad row, four good ones
    with refused("T: image embeddings contain NaN or inf in 1 row(s)"):
        check_embeddings("T", "image", emb)


def test_float32_embeddings_are_checked_without_a_copy() -> None:
    """A corpus's embeddings can be gigabytes: checking them must not double that."""
    emb = np.ones((3, 2), dtype=np.float32)
    assert check_embeddings("T", "x", emb) is emb


def test_the_generic_check_names_the_side_for_plain_and_token_vector_embeddings() -> None:
    with refused("T: query embeddings have 2 rows, expected 3"):
        checked("T", "query", np.ones((2, 4)), n_rows=3)
    tokens = MultiVectors.from_items([np.ones((2, 5), np.float32)])
    with refused(
        "T: corpus embeddings have dimension 5, expected 4 "
        "(mismatched embedding sizes between the compared sides)"
    ):
        checked("T", "corpus", tokens, dim=4)


def test_embed_checked_asks_for_the_subset_and_checks_the_row_count() -> None:
    embedder = VectorEmbedder()
    inputs = Inputs("k", images=[[1.0, 0.0], [0.0, 1.0]])
    _common.embed_checked(embedder, inputs, task="T", what="x")
    _common.embed_checked(embedder, inputs, task="T", what="x", subset="fr", split="train")
    assert [c[2:] for c in embedder.contexts] == [("default", None), ("fr", "train")]
    short = VectorEmbedder(arrays={"k": np.ones((1, 2))})
    with refused("T: x embeddings have 1 rows, expected 2"):
        _common.embed_checked(short, inputs, task="T", what="x")
