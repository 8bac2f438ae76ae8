"""A late-interaction model end to end: a DocumentUnderstanding (ViDoRe) task's hub mirror
scored by MaxSim through `evaluate_task`, and the task types it cannot take are n/a."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import hubfarm
import numpy as np
import pytest

from pytest_mieb.tasks.index import load_all_specs
from pytest_mieb.tasks.modalities import not_applicable_reason
from tests.models.tiny_checkpoints import build

SPECS = load_all_specs()
TASK = "VidoreDocVQARetrieval"


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from pytest_mieb.models import load_encoder

    return load_encoder(str(build("colsmol", tmp_path_factory.mktemp("tiny"))), device="cpu")


def test_a_vidore_mirror_is_scored_by_maxsim(
    encoder: Any, tmp_path: Path, offline_caches: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_mieb.embed.embedder import Embedder
    from pytest_mieb.metrics import maxsim
    from pytest_mieb.run import evaluate_task

    calls: list[tuple[int, int]] = []
    real = maxsim.maxsim_top_k

    def counted(queries, docs, *args, **kwargs):
        calls.append((len(queries), len(docs)))
        return real(queries, docs, *args, **kwargs)

    monkeypatch.setattr("pytest_mieb.evaluators.retrieval.maxsim_top_k", counted)
    spec = SPECS[TASK]
    hubfarm.write_mirror(spec, tmp_path, rows=12)
    embedder = Embedder(encoder, num_workers=0, cache_dir=tmp_path / "cache")
    scores = evaluate_task(spec, embedder, data_dir=tmp_path)
    assert math.isfinite(scores.main_score) and 0.0 <= scores.main_score <= 1.0
    assert calls and all(n_q > 0 and n_d > 0 for n_q, n_d in calls)
    assert list((tmp_path / "cache").rglob("*.mv.npz"))  # token vectors cached on disk
    again = Embedder(encoder, num_workers=0, cache_dir=tmp_path / "cache")
    rerun = evaluate_task(spec, again, data_dir=tmp_path)
    assert again.stats.disk_hits >= 2 and sum(again.stats.encoded.values()) == 0
    assert np.isclose(rerun.main_score, scores.main_score)


@pytest.mark.parametrize(
    "task", ["CIFAR10", "CIFAR10Clustering", "CIFAR10ZeroShot", "STS13VisualSTS"]
)
def test_tasks_mteb_cannot_score_with_maxsim_are_not_applicable(task: str) -> None:
    reason = not_applicable_reason("m", SPECS[task], ["image", "text", "image+text"], "maxsim")
    assert reason is not None and "late-interaction" in reason
    assert not_applicable_reason("m", SPECS[TASK], ["image", "text"], "maxsim") is None
