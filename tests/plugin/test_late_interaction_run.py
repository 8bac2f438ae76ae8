"""A late-interaction model through the plugin: a document-retrieval task and a multiple-choice
task scored by MaxSim, a task type mteb cannot score such a model on skipped "n/a"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tests.models.tiny_checkpoints import build
from tests.plugin.plugin_runs import result_files, run


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny checkpoint, loaded once here first: pytester's in-process run drops the modules
    first imported during it (transformers' lazy model modules among them)."""
    from pytest_mieb.models import load_encoder

    path = build("colsmol", tmp_path_factory.mktemp("tiny-colsmol"))
    load_encoder(str(path), device="cpu").encode_images([Image.new("RGB", (40, 30))])
    return path


@pytest.mark.usefixtures("offline_env")
def test_a_colsmol_directory_runs_retrieval_and_multiple_choice_and_skips_clustering(
    pytester: pytest.Pytester, local_data: Path, model: Path
) -> None:
    tasks = "LocalDocPagesRetrieval,LocalDigitsClustering,LocalCVBenchCount"
    result = run(
        pytester, local_data, f"--mieb-model={model}", "-m", "mieb_local",
        f"--mieb-tasks={tasks}", "-rs",
    )  # fmt: skip
    outcomes = result.parseoutcomes()
    assert (outcomes.get("passed"), outcomes.get("skipped")) == (2, 1), outcomes
    text = result.stdout.str()
    assert "cannot evaluate on kmeans_clustering tasks (LocalDigitsClustering)" in text
    saved = result_files(pytester.path / "results")
    for task in ("LocalDocPagesRetrieval", "LocalCVBenchCount"):
        main = next(iter(saved[task]["scores"].values()))[0]["main_score"]
        assert 0.0 <= main <= 1.0
    assert json.dumps(saved)  # plain JSON result file
