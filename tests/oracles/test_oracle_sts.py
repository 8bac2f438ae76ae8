"""Visual STS correlations against scipy.stats, on similarities computed independently with
scipy.spatial.distance in float64, with tied gold scores (as STS gold scores often are)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import distance
from scipy.stats import pearsonr, spearmanr

from pytest_mieb.evaluators.sts import normalise_gold, sts_scores


def pairs(seed: int, n: int = 60, dim: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    emb1 = rng.normal(size=(n, dim)).astype(np.float32)
    emb2 = (emb1 * rng.random((n, 1)) + rng.normal(size=(n, dim))).astype(np.float32)
    gold = np.round(rng.random(n) * 5 * 2) / 2  # steps of 0.5 on [0, 5]: many ties
    return gold, emb1, emb2


def oracle(gold: np.ndarray, emb1: np.ndarray, emb2: np.ndarray, similarity: str) -> dict:
    a, b = emb1.astype(np.float64), emb2.astype(np.float64)
    sims = {
        "cosine_": [1 - distance.cosine(x, y) for x, y in zip(a, b, strict=True)],
        "manhattan_": [-distance.cityblock(x, y) for x, y in zip(a, b, strict=True)],
        "euclidean_": [-distance.euclidean(x, y) for x, y in zip(a, b, strict=True)],
    }
    sims[""] = sims["cosine_"] if similarity == "cosine" else list(np.sum(a * b, axis=1))
    out = {}
    for prefix, values in sims.items():
        out[f"{prefix}pearson"] = pearsonr(gold, values)[0]
        out[f"{prefix}spearman"] = spearmanr(gold, values)[0]
    return out


@pytest.mark.parametrize("similarity", ["cosine", "dot"])
@pytest.mark.parametrize("seed", range(4))
def test_correlations_match_scipy(seed: int, similarity: str) -> None:
    gold, emb1, emb2 = pairs(seed)
    got = sts_scores(gold, emb1, emb2, similarity)
    expected = oracle(gold, emb1, emb2, similarity)
    assert list(got) == [
        "pearson", "spearman", "cosine_pearson", "cosine_spearman",
        "manhattan_pearson", "manhattan_spearman", "euclidean_pearson", "euclidean_spearman",
    ]  # fmt: skip
    for metric, value in expected.items():
        # similarities are computed in float32, as mteb does
        assert got[metric] == pytest.approx(value, abs=1e-5), metric


def test_normalising_the_gold_range_leaves_the_correlations_alone() -> None:
    gold, emb1, emb2 = pairs(9)
    scaled = normalise_gold(gold, 0.0, 5.0)
    np.testing.assert_allclose(scaled, gold / 5)
    assert sts_scores(scaled, emb1, emb2) == pytest.approx(sts_scores(gold, emb1, emb2))


@pytest.mark.filterwarnings("ignore::scipy.stats.ConstantInputWarning")
def test_constant_gold_scores_give_nan_like_scipy() -> None:
    _, emb1, emb2 = pairs(3)
    flat = np.full(len(emb1), 2.5)
    got = sts_scores(flat, emb1, emb2)
    expected = oracle(flat, emb1, emb2, "cosine")
    assert all(np.isnan(v) for v in expected.values())
    assert all(np.isnan(v) for v in got.values())
