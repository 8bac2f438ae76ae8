"""A late-interaction model through the plugin: a document-retrieval task scored by MaxSim,
the task types mteb cannot score such a model on skipped "n/a" with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.models.tiny_checkpoints import build
from tests.plugin.plugin_runs import result_files, run


@pytest.mark.usefixtures("offline_env")
def test_a_colsmol_directory_runs_document_retrieval_and_skips_the_rest(
    pytester: pytest.Pytester, local_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    model = build("colsmol", tmp_path_factory.mktemp("tiny-colsmol"))
    tasks = "LocalDocPagesRetrieval,LocalDigitsClustering,LocalCVBenchCount"
    result = run(
        pytester, local_data, f"--mieb-model={model}", "-m", "mieb_local",
        f"--mieb-tasks={tasks}", "-rs",
    )  # fmt: skip
    outcomes = result.parseoutcomes()
    assert (outcomes.get("passed"), outcomes.get("skipped")) == (1, 2), outcomes
    text = result.stdout.str()
    assert "cannot evaluate on kmeans_clustering tasks (LocalDigitsClustering)" in text
    assert "does not score candidate lists with MaxSim yet (LocalCVBenchCount)" in text
    saved = result_files(pytester.path / "results")
    scores = saved["LocalDocPagesRetrieval"]["scores"]
    main = next(iter(scores.values()))[0]["main_score"]
    assert 0.0 <= main <= 1.0
    assert json.dumps(saved)  # plain JSON result file
