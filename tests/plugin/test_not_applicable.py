"""Tasks a model cannot take: deselected at collection when the model table knows its inputs,
skipped "n/a" when only the loaded encoder says so, "n/a" on the leaderboard (issue 13 item 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DINO = "facebook/dinov2-small"


def test_a_published_image_only_model_has_its_na_tasks_deselected(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest(f"--mieb-model={DINO}", "-m", "mieb_lite", "--co", "-q")
    assert result.ret == pytest.ExitCode.OK
    text = result.stdout.str()
    assert f"pytest-mieb: {DINO}: 34 tasks n/a (takes image only); --mieb-show-na lists them" in (
        text
    )
    assert "17/149 tests collected (132 deselected)" in text  # 98 by -m, 34 n/a
    assert f"CUB200I2IRetrieval[{DINO}]" in text and f"CIRRIT2IRetrieval[{DINO}]" not in text
    assert "n/a CIRRIT2IRetrieval" not in text

    shown = pytester.runpytest(
        f"--mieb-model={DINO}", "-m", "mieb_lite", "--co", "-q", "--mieb-show-na"
    )
    shown.stdout.fnmatch_lines([f"  n/a CIRRIT2IRetrieval[{DINO}]: needs image+text inputs"])
    assert f"  n/a Country211ZeroShot[{DINO}]: needs text inputs" in shown.stdout.str()


def test_models_that_take_everything_lose_nothing(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "--mieb-model=openai/clip-vit-base-patch16", "-m", "mieb_lite", "--co", "-q"
    )
    assert "51/149 tests collected (98 deselected)" in result.stdout.str()
    assert "n/a" not in result.stdout.str()


#: A project's own image-only encoder, whose modalities are known only once it is loaded.
IMAGE_ONLY_FIXTURE = """
import pytest
from pytest_mieb.models import load_encoder

@pytest.fixture(scope="session")
def mieb_encoder():
    encoder = load_encoder("baseline/pixels")
    encoder.name = "acme/image-only"
    encoder.modalities = frozenset({"image"})
    return encoder
"""


@pytest.mark.usefixtures("offline_env")
def test_an_encoder_known_only_once_loaded_skips_na_tasks_and_the_table_says_na(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    pytester.makeconftest(IMAGE_ONLY_FIXTURE)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", f"--mieb-data-dir={local_data}", "--mieb-results-dir=results",
        "-m", "mieb_local", "--mieb-tasks=LocalDigitsZeroShot,LocalDigitsClustering", "-rs",
    )  # fmt: skip
    outcomes = result.parseoutcomes()
    assert (outcomes.get("passed"), outcomes.get("skipped")) == (1, 1), outcomes
    result.stdout.fnmatch_lines(
        ["*n/a: acme/image-only takes image only; LocalDigitsZeroShot needs text inputs*"]
    )
    metas = list((pytester.path / "results").rglob("model_meta.json"))
    assert len(metas) == 1
    meta = json.loads(metas[0].read_text())
    assert (meta["name"], meta["modalities"], meta["input_kinds"]) == (
        "acme/image-only", ["image"], ["image"],
    )  # fmt: skip
    from pytest_mieb.results.leaderboard import render_from_dirs

    later = render_from_dirs(
        pytester.path / "results", tasks=["LocalDigitsClustering", "LocalDigitsZeroShot"]
    )
    assert _na_row(later.splitlines(), "LocalDigitsZeroShot"), later


def _board(result: pytest.RunResult) -> list[str]:
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if "MIEB leaderboard" in line)
    end = next(i for i, line in enumerate(lines) if line.startswith("results in"))
    return [line for line in lines[start + 1 : end] if line.strip()]


def _na_row(board: list[str], task: str) -> bool:
    return any(task in line and line.rstrip().endswith("n/a") for line in board)


@pytest.mark.usefixtures("offline_env")
def test_the_session_table_says_na_for_a_selected_task_no_model_ran(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    pytester.makeconftest(IMAGE_ONLY_FIXTURE)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", f"--mieb-data-dir={local_data}", "--mieb-results-dir=results",
        "-m", "mieb_local", "--mieb-tasks=LocalDigitsZeroShot,LocalDigitsClustering",
    )  # fmt: skip
    board = _board(result)
    # only this model ran, and it could not take the zero-shot task: still a column, "n/a"
    assert _na_row(board, "LocalDigitsZeroShot"), board
    assert not _na_row(board, "LocalDigitsClustering"), board


#: A published image-only id, answered by the pixel baseline (no weights in tests).
DINO_AS_PIXELS = f"""
import pytest
from pytest_mieb.models import load_encoder

@pytest.hookimpl(tryfirst=True)
def pytest_mieb_load_encoder(model_id, device, precision, config):
    encoder = load_encoder("baseline/pixels")
    encoder.name = "{DINO}"
    encoder.modalities = frozenset({{"image"}})
    return encoder
"""


@pytest.mark.usefixtures("offline_env")
def test_under_xdist_the_controller_prints_the_na_line_and_table_of_a_serial_run(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    pytester.makeconftest(DINO_AS_PIXELS)
    args = (
        "-p", "no:cacheprovider", f"--mieb-data-dir={local_data}", f"--mieb-model={DINO}",
        "-m", "mieb_local", "--mieb-tasks=LocalDigitsZeroShot,LocalDigitsClustering",
    )  # fmt: skip
    serial = pytester.runpytest(*args, "--mieb-results-dir=serial")
    parallel = pytester.runpytest(*args, "--mieb-results-dir=parallel", "-n", "2")
    line = f"pytest-mieb: {DINO}: 1 tasks n/a (takes image only); --mieb-show-na lists them"
    for result in (serial, parallel):
        assert result.parseoutcomes().get("passed") == 1, result.stdout.str()
        assert result.stdout.str().count(line) == 1, result.stdout.str()
        assert _na_row(_board(result), "LocalDigitsZeroShot"), result.stdout.str()
    assert _board(serial) == _board(parallel)
    shown = pytester.runpytest(*args, "--mieb-results-dir=shown", "-n", "2", "--mieb-show-na")
    shown.stdout.fnmatch_lines([f"  n/a LocalDigitsZeroShot[{DINO}]: needs text inputs"])
