"""Visual STS: pair similarities, correlations, per-subset scores and the aggregates."""

from __future__ import annotations

import math

import numpy as np
import pytest
from evaluator_fakes import VectorEmbedder, task_spec
from scipy.stats import rankdata

from pytest_mieb.data.containers import Inputs, STSData, STSPairs
from pytest_mieb.evaluators.sts import (
    aggregate_subsets,
    combine_visual_sts,
    evaluate_visual_sts,
    evaluate_visual_sts_aggregate,
    normalise_gold,
    pair_similarities,
    sts_scores,
)
from pytest_mieb.tasks.spec import TaskSpec

STS_KEYS = [
    "pearson",
    "spearman",
    "cosine_pearson",
    "cosine_spearman",
    "manhattan_pearson",
    "manhattan_spearman",
    "euclidean_pearson",
    "euclidean_spearman",
]


def make_spec(name="STS12VisualSTS", protocol="visual_sts", **params) -> TaskSpec:
    return task_spec(
        name, "VisualSTS(eng)", protocol, "cosine_spearman", "local/sts", params=params
    )


def make_pairs(subset: str, n=30, seed=0, noise=0.5) -> STSPairs:
    rng = np.random.default_rng(seed)
    first = rng.normal(size=(n, 6))
    second = first + rng.normal(size=(n, 6)) * noise * rng.random((n, 1)) * 3
    gold = 5 - np.linalg.norm(first - second, axis=1) + rng.normal(size=n) * 0.3
    return STSPairs(
        first=Inputs(f"sts@0/{subset}/test/sentence1", images=list(first)),
        second=Inputs(f"sts@0/{subset}/test/sentence2", images=list(second)),
        scores=np.clip(gold, 0, 5).tolist(),
    )


def pearson(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    xc, yc = x - x.mean(), y - y.mean()
    return float((xc @ yc) / math.sqrt((xc @ xc) * (yc @ yc)))


def spearman(x, y):
    return pearson(rankdata(x), rankdata(y))


# ---------------------------------------------------------------- pure functions


def test_normalise_gold():
    assert normalise_gold([0, 2.5, 5], 0, 5).tolist() == [0.0, 0.5, 1.0]
    assert normalise_gold([1, 3], 1, 3).tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match="empty"):
        normalise_gold([1], 5, 5)


def test_pair_similarities_direct_formulas():
    a = np.array([[3.0, 4.0], [1.0, 0.0]])
    b = np.array([[4.0, 3.0], [-2.0, 0.0]])
    sims = pair_similarities(a, b, "dot")
    assert sims["cosine"] == pytest.approx([24 / 25, -1.0])
    assert sims["manhattan"] == pytest.approx([-2.0, -3.0])
    assert sims["euclidean"] == pytest.approx([-math.sqrt(2), -3.0])
    assert sims["model"] == pytest.approx([24.0, -2.0])
    assert pair_similarities(a, b, "cosine")["model"] == pytest.approx([24 / 25, -1.0])
    with pytest.raises(ValueError, match="unsupported model similarity"):
        pair_similarities(a, b, "max_sim")


def test_sts_scores_match_independent_correlations():
    pairs = make_pairs("default", seed=1)
    a, b = np.stack(pairs.first.images), np.stack(pairs.second.images)
    gold = np.asarray(pairs.scores) / 5
    got = sts_scores(gold, a, b, "dot")
    assert list(got) == STS_KEYS
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    l1 = -np.abs(a - b).sum(axis=1)
    l2 = -np.linalg.norm(a - b, axis=1)
    dot = np.sum(a * b, axis=1)
    for prefix, values in (("cosine_", cos), ("manhattan_", l1), ("euclidean_", l2), ("", dot)):
        assert got[prefix + "pearson"] == pytest.approx(pearson(gold, values), abs=1e-6)
        assert got[prefix + "spearman"] == pytest.approx(spearman(gold, values), abs=1e-6)
    # The dot model's own similarity differs from cosine here.
    assert got["pearson"] != pytest.approx(got["cosine_pearson"])


def test_model_similarity_defaults_to_cosine_for_cosine_models():
    pairs = make_pairs("default", seed=2)
    a, b = np.stack(pairs.first.images), np.stack(pairs.second.images)
    got = sts_scores(pairs.scores, a, b, "cosine")
    assert got["pearson"] == pytest.approx(got["cosine_pearson"], abs=1e-6)
    assert got["spearman"] == pytest.approx(got["cosine_spearman"], abs=1e-9)


def test_gold_normalisation_leaves_correlations_unchanged():
    pairs = make_pairs("default", seed=3)
    a, b = np.stack(pairs.first.images), np.stack(pairs.second.images)
    raw = sts_scores(pairs.scores, a, b)
    scaled = sts_scores(normalise_gold(pairs.scores, 0, 5), a, b)
    assert scaled == pytest.approx(raw)


def test_combine_averages_exactly_the_listed_subsets():
    per_subset = {
        "de": {"cosine_spearman": 0.2, "main_score": 0.2},
        "fr": {"cosine_spearman": 0.6, "main_score": 0.6},
        "en": {"cosine_spearman": 0.9, "main_score": 0.9},
    }
    assert combine_visual_sts(per_subset, ["de", "fr"]) == {
        "default": {"cosine_spearman": pytest.approx(0.4), "main_score": pytest.approx(0.4)}
    }
    with pytest.raises(ValueError, match=r"\['pl'\] have no scores"):
        combine_visual_sts(per_subset, ["de", "pl"])


# ---------------------------------------------------------------- evaluators


def test_evaluate_visual_sts_single_subset():
    pairs = make_pairs("default", seed=4)
    embedder = VectorEmbedder()
    scores = evaluate_visual_sts(
        make_spec(gold_score_range=[0, 5]), STSData({"default": pairs}), embedder
    )
    assert list(scores) == ["default"]
    assert list(scores["default"]) == [*STS_KEYS, "main_score"]
    a, b = np.stack(pairs.first.images), np.stack(pairs.second.images)
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert scores["default"]["main_score"] == pytest.approx(spearman(pairs.scores, cos), abs=1e-6)
    assert 0.3 < scores["default"]["main_score"] < 1.0
    assert [c.key for c in embedder.calls] == [pairs.first.key, pairs.second.key]
    again = evaluate_visual_sts(make_spec(), STSData({"default": pairs}), VectorEmbedder())
    assert again == scores


AGGREGATE_PARAMS = {
    "subtasks": [
        {
            "name": "STSBenchmarkMultilingualVisualSTS",
            "hf_subsets_used": ["de", "fr"],
            "gold_score_range": [0, 5],
            "main_score": "cosine_spearman",
        }
    ]
}


def test_aggregate_averages_only_the_used_subsets():
    data = STSData({s: make_pairs(s, seed=i) for i, s in enumerate(["en", "de", "fr"])})
    spec = make_spec("VisualSTS-b-Multilingual", "aggregate_of_visual_sts", **AGGREGATE_PARAMS)
    embedder = VectorEmbedder()
    result = evaluate_visual_sts_aggregate(spec, data, embedder)
    per_subset = evaluate_visual_sts(
        spec, STSData({s: data.subsets[s] for s in ["de", "fr"]}), VectorEmbedder()
    )
    expected = (per_subset["de"]["cosine_spearman"] + per_subset["fr"]["cosine_spearman"]) / 2
    assert result == {"default": {"cosine_spearman": expected, "main_score": expected}}
    # The extra "en" subset present in the data is neither embedded nor averaged.
    assert not any("/en/" in c.key for c in embedder.calls)
    assert aggregate_subsets(spec, data) == ["de", "fr"]


def test_aggregate_without_subset_list_uses_all_data_subsets():
    data = STSData({s: make_pairs(s, seed=i) for i, s in enumerate(["a", "b"])})
    spec = make_spec("Agg", "aggregate_of_visual_sts")
    result = evaluate_visual_sts_aggregate(spec, data, VectorEmbedder())
    per_subset = evaluate_visual_sts(spec, data, VectorEmbedder())
    assert result["default"]["main_score"] == pytest.approx(
        np.mean([per_subset[s]["main_score"] for s in ("a", "b")])
    )


def test_aggregate_missing_subset_raises():
    data = STSData({"de": make_pairs("de")})
    spec = make_spec("VisualSTS-b-Multilingual", "aggregate_of_visual_sts", **AGGREGATE_PARAMS)
    with pytest.raises(ValueError, match=r"VisualSTS-b-Multilingual: .*subsets \['fr'\]"):
        evaluate_visual_sts_aggregate(spec, data, VectorEmbedder())


def test_bad_inputs_raise_naming_task_and_subset():
    pairs = make_pairs("de", n=5)
    narrow = STSPairs(
        first=pairs.first,
        second=Inputs("x", images=[v[:4] for v in pairs.second.images]),
        scores=pairs.scores,
    )
    with pytest.raises(
        ValueError, match=r"STS12VisualSTS\[de\]: second image embeddings have dimension 4"
    ):
        evaluate_visual_sts(make_spec(), STSData({"de": narrow}), VectorEmbedder())
    short = STSPairs(first=pairs.first, second=pairs.second, scores=pairs.scores[:3])
    with pytest.raises(ValueError, match=r"STS12VisualSTS\[de\]: .* has 5 rows for 3 gold scores"):
        evaluate_visual_sts(make_spec(), STSData({"de": short}), VectorEmbedder())
    nan = STSPairs(
        first=Inputs("y", images=[[np.nan] * 6, *pairs.first.images[1:]]),
        second=pairs.second,
        scores=pairs.scores,
    )
    with pytest.raises(ValueError, match="first image embeddings contain NaN"):
        evaluate_visual_sts(make_spec(), STSData({"de": nan}), VectorEmbedder())
    with pytest.raises(ValueError, match="no STS subsets"):
        evaluate_visual_sts(make_spec(), STSData({}), VectorEmbedder())


# ---------------------------------------------------------------- mutation-run survivors


def test_empty_and_bad_pairs_give_one_line_messages_naming_task_and_subset():
    empty = STSPairs(first=Inputs("a", images=[]), second=Inputs("b", images=[]), scores=[])
    with pytest.raises(ValueError) as err:
        evaluate_visual_sts(make_spec(), STSData({"de": empty}), VectorEmbedder())
    assert str(err.value) == "STS12VisualSTS[de]: pair list is empty"
    pairs = make_pairs("de", n=5)
    nan = STSPairs(
        first=Inputs("y", images=[[np.nan] * 6, *pairs.first.images[1:]]),
        second=pairs.second,
        scores=pairs.scores,
    )
    with pytest.raises(ValueError) as err:
        evaluate_visual_sts(make_spec(), STSData({"de": nan}), VectorEmbedder())
    assert str(err.value) == (
        "STS12VisualSTS[de]: first image embeddings contain NaN or inf in 1 row(s)"
    )
    with pytest.raises(ValueError) as err:
        combine_visual_sts({"de": {"main_score": 0.5}}, [])
    assert str(err.value) == "an aggregate needs at least one subset"


def test_unknown_main_score_names_task_subset_and_metrics():
    spec = task_spec("STS12VisualSTS", "VisualSTS(eng)", "visual_sts", "bogus", "local/sts")
    with pytest.raises(ValueError) as err:
        evaluate_visual_sts(spec, STSData({"de": make_pairs("de")}), VectorEmbedder())
    assert str(err.value) == (
        f"STS12VisualSTS[de]: main score 'bogus' is not one of the metrics ({', '.join(STS_KEYS)})"
    )


def test_both_sides_are_embedded_for_their_own_subset():
    data = STSData({s: make_pairs(s, n=6, seed=i) for i, s in enumerate(["de", "fr"])})
    embedder = VectorEmbedder()
    evaluate_visual_sts(make_spec(), data, embedder)
    assert embedder.contexts == [
        (data.subsets[s].first.key if side == 1 else data.subsets[s].second.key, None, s, None)
        for s in ("de", "fr")
        for side in (1, 2)
    ]


def test_dot_model_is_scored_by_dot_products():
    pairs = make_pairs("default", seed=5)
    a, b = np.stack(pairs.first.images), np.stack(pairs.second.images)
    gold = np.asarray(pairs.scores)
    dot = np.sum(a * b, axis=1)
    scores = evaluate_visual_sts(
        make_spec(), STSData({"default": pairs}), VectorEmbedder(similarity="dot")
    )["default"]
    assert scores["pearson"] == pytest.approx(pearson(gold, dot), abs=1e-6)
    assert scores["spearman"] == pytest.approx(spearman(gold, dot), abs=1e-9)
    assert scores["pearson"] != pytest.approx(scores["cosine_pearson"], abs=1e-3)


def _main_score_spec(main_score: str, protocol="visual_sts", **params) -> TaskSpec:
    return task_spec("T", "VisualSTS(eng)", protocol, main_score, "local/sts", params=params)


def test_plain_task_main_score_is_its_own():
    data = STSData({"default": make_pairs("default", seed=6)})
    scores = evaluate_visual_sts(_main_score_spec("cosine_pearson"), data, VectorEmbedder())
    got = scores["default"]
    assert got["cosine_pearson"] != pytest.approx(got["cosine_spearman"], abs=1e-3)
    assert got["main_score"] == got["cosine_pearson"]


def test_plain_task_ignores_a_stray_subtasks_table():
    # Only aggregates have sub-tasks: a plain visual STS spec keeps its own main score and
    # gold range even if its params happen to carry a `subtasks` table.
    stray = [{"main_score": "euclidean_pearson", "gold_score_range": [5, 0]}]
    data = STSData({"default": make_pairs("default", seed=7)})
    got = evaluate_visual_sts(
        _main_score_spec("cosine_spearman", subtasks=stray), data, VectorEmbedder()
    )["default"]
    assert got["main_score"] == got["cosine_spearman"]


def test_aggregate_subtask_main_score_and_gold_range_are_read():
    data = STSData({"de": make_pairs("de", seed=8)})
    sub = {"hf_subsets_used": ["de"], "main_score": "manhattan_pearson"}
    spec = _main_score_spec("cosine_spearman", "aggregate_of_visual_sts", subtasks=[sub])
    got = evaluate_visual_sts(spec, data, VectorEmbedder())["de"]
    assert got["manhattan_pearson"] != pytest.approx(got["cosine_spearman"], abs=1e-3)
    assert got["main_score"] == got["manhattan_pearson"]
    # The sub-task's gold range is the one used: an empty one is refused, whereas the
    # default [0, 5] would be accepted.
    bad = _main_score_spec(
        "cosine_spearman",
        "aggregate_of_visual_sts",
        subtasks=[{"hf_subsets_used": ["de"], "gold_score_range": [5, 0]}],
    )
    with pytest.raises(ValueError, match=r"gold score range \[5\.0, 0\.0\] is empty"):
        evaluate_visual_sts(bad, data, VectorEmbedder())


def test_pair_similarity_defaults_to_cosine():
    a = np.array([[3.0, 4.0], [1.0, 0.0]])
    b = np.array([[4.0, 3.0], [-2.0, 0.0]])
    assert pair_similarities(a, b)["model"] == pytest.approx([24 / 25, -1.0])


def test_similarities_are_float32_math_returned_as_float64():
    # mteb scores float32 embeddings: float64 inputs give exactly what their float32
    # rounding gives, and every similarity comes back as float64.
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=(12, 7)), rng.normal(size=(12, 7))
    for similarity in ("cosine", "dot"):
        wide = pair_similarities(a, b, similarity)
        narrow = pair_similarities(a.astype(np.float32), b.astype(np.float32), similarity)
        for name in ("cosine", "manhattan", "euclidean", "model"):
            assert wide[name].dtype == np.float64
            assert wide[name].tolist() == narrow[name].tolist()


def test_gold_is_widened_to_float64_before_any_arithmetic():
    # mteb normalises and correlates gold scores as Python floats (float64), whatever
    # the dtype they arrive in.
    gold32 = np.array([0.3, 1.7, 4.9, 2.2, 3.1, 0.9], dtype=np.float32)
    got = normalise_gold(gold32, 0, 5)
    assert got.dtype == np.float64
    assert got.tolist() == [(float(v) - 0.0) / 5.0 for v in gold32]
    rng = np.random.default_rng(10)
    a, b = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    as_floats = sts_scores(gold32.astype(np.float64).tolist(), a, b)
    assert sts_scores(gold32, a, b) == as_floats
    # Extended precision too (scipy's pearsonr alone raises TypeError on np.longdouble;
    # where longdouble is float64 this is the plain case).
    assert sts_scores(gold32.astype(np.longdouble), a, b) == as_floats
