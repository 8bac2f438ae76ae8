"""STSBenchmarkMultilingualVisualSTS is scored on dev and test, as the reference scores it
(eval_splits ['dev', 'test']; task score = flat mean over the 20 (split, subset) entries),
while the VisualSTS-b aggregates built on the same data stay test-only.

Fixture: Pixel-Linguist/rendered-stsb's layout (folders train/, dev/, test/ holding
<lang>.parquet, one config per language). A test pair's gold score falls as its images
drift apart (Spearman +1), a dev pair's rises (Spearman -1), so any mix-up of the splits
shows in the numbers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from data_layouts import cell, solid, write_parquet
from datasets import Features, Image, Value

from pytest_mieb.data.containers import Inputs
from pytest_mieb.results.files import TaskResult, load_result, result_from_json, write_result
from pytest_mieb.run import evaluate_task
from pytest_mieb.tasks.index import load_all_specs

SPECS = load_all_specs()
LANGUAGES = ("de", "en", "es", "fr", "it", "nl", "pl", "pt", "ru", "zh")
FEATURES = Features({"sentence1": Image(), "sentence2": Image(), "score": Value("float64")})


def pairs(gold: list[float]):
    n = len(gold)
    return (
        {
            "sentence1": [cell(solid(0)) for _ in range(n)],
            "sentence2": [cell(solid(40 * i)) for i in range(n)],
            "score": gold,
        },
        FEATURES,
    )


def rendered_stsb(root: Path) -> None:
    gold = {"train": [1.0, 2.0], "dev": [0.0, 1.0, 2.0, 3.0], "test": [5.0, 4.0, 3.0, 2.0]}
    yaml = ["---", "configs:"]
    for lang in LANGUAGES:
        yaml += [f"- config_name: {lang}", "  data_files:"]
        for split, scores in gold.items():
            write_parquet(root / split / f"{lang}.parquet", pairs(scores))
            yaml += [f"  - split: {split}", f"    path: {split}/{lang}.parquet"]
    (root / "README.md").write_text("\n".join([*yaml, "---", ""]), encoding="utf-8")


class AngleEmbedder:
    """An image embeds as the unit vector at angle red/100 radians."""

    similarity = "cosine"
    device = "cpu"

    def embed(self, inputs: Inputs, *, prompt_type=None) -> np.ndarray:
        angles = [inputs.images[i].getpixel((0, 0))[0] / 100 for i in range(len(inputs))]
        return np.asarray([[math.cos(a), math.sin(a)] for a in angles], np.float32)


@pytest.fixture
def stsb_dir(data_dir: Path) -> Path:
    rendered_stsb(data_dir / SPECS["STSBenchmarkMultilingualVisualSTS"].dataset.path)
    return data_dir


def test_the_full_task_scores_dev_and_test_and_averages_all_twenty(stsb_dir: Path) -> None:
    spec = SPECS["STSBenchmarkMultilingualVisualSTS"]
    scores = evaluate_task(spec, AngleEmbedder(), data_dir=stsb_dir)
    test = {k: v["main_score"] for k, v in scores.subsets.items() if "/" not in k}
    dev = {k: v["main_score"] for k, v in scores.subsets.items() if k.startswith("dev/")}
    assert len(scores.subsets) == 20
    assert set(test) == set(LANGUAGES) and set(dev) == {f"dev/{x}" for x in LANGUAGES}
    assert all(v == pytest.approx(1.0) for v in test.values())
    assert all(v == pytest.approx(-1.0) for v in dev.values())
    assert scores.main_score == pytest.approx(0.0)  # flat mean of 20, as mteb's get_score


def test_the_aggregates_on_the_same_data_stay_test_only(stsb_dir: Path) -> None:
    for name in ("VisualSTS-b-Eng", "VisualSTS-b-Multilingual"):
        scores = evaluate_task(SPECS[name], AngleEmbedder(), data_dir=stsb_dir)
        assert scores.main_score == pytest.approx(1.0), name


def test_the_result_file_holds_both_splits_and_reads_back_the_same_score(
    stsb_dir: Path, tmp_path: Path
) -> None:
    spec = SPECS["STSBenchmarkMultilingualVisualSTS"]
    scores = evaluate_task(spec, AngleEmbedder(), data_dir=stsb_dir)
    result = TaskResult.from_evaluation(
        spec, scores.subsets, model_name="m", model_revision="r", evaluation_time=1.0
    )
    path = write_result(result, tmp_path / "results")
    content = json.loads(path.read_text())
    assert list(content["scores"]) == ["test", "dev"]
    for split in ("test", "dev"):
        entries = content["scores"][split]
        assert [e["hf_subset"] for e in entries] == list(spec.subsets)
        assert entries[1]["languages"] == ["deu-Latn"]
    loaded = load_result(path)
    assert list(loaded.scores) == list(result.scores)  # "dev/<lang>" keys again
    assert loaded.languages == result.languages
    assert loaded.main_score == pytest.approx(0.0)

    # mteb's own file for the task (no pytest_mieb block): the same 20 entries, same score
    del content["pytest_mieb"]
    mteb_file = result_from_json(content, model_name="m", model_revision="r")
    assert mteb_file.main_score == pytest.approx(0.0)
    assert result_from_json(content, split="test").main_score == pytest.approx(1.0)
