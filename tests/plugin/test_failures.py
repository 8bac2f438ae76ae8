"""A failing MIEB item is an ordinary pytest failure, and the session goes on to the next.

The encoders below are users' `package.module:factory` models written into the pytester
directory: one whose text embeddings hold a NaN (a known kind: one line), one whose code
raises a RuntimeError (a bug: pytest's traceback), and, under xdist, one that kills its
worker process once (xdist reports the item and starts a new worker). A serial process that
dies cannot go on; `test_run.py` covers resuming such a run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

FAULTY = '''
import os

from pytest_mieb.models import load_encoder


class Faulty:
    """baseline/pixels under another name, with one fault."""

    def __init__(self, fault):
        self.inner = load_encoder("baseline/pixels")
        self.fault = fault
        self.name = f"acme/{fault}"
        self.fingerprint = f"faulty-{fault}"

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode_texts(self, texts):
        if self.fault == "oom-text":  # as a GPU too small for any text batch says it
            import torch

            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
        out = self.inner.encode_texts(texts).numpy().copy()
        if self.fault == "nan-text":
            out[0, :] = float("nan")
        return out

    def encode_pixels(self, pixels):
        if self.fault == "raising":
            raise RuntimeError("boom in encode_pixels")
        if self.fault == "crashing" and not os.path.exists(os.environ["CRASH_MARKER"]):
            open(os.environ["CRASH_MARKER"], "w").close()
            os._exit(1)  # the worker process dies mid-item, once
        return self.inner.encode_pixels(pixels)


def nan_text():
    return Faulty("nan-text")


def raising():
    return Faulty("raising")


def crashing():
    return Faulty("crashing")


def oom_text():
    return Faulty("oom-text")


def interrupting():
    encoder = Faulty("interrupting")

    def encode_texts(texts):
        raise KeyboardInterrupt

    encoder.encode_texts = encode_texts
    return encoder
'''

ZERO_SHOT = ("LocalDigitsZeroShot", "LocalDigitsWdsZeroShot")
NAN_LINE = "EmbeddingError: {task}: candidate text embeddings contain NaN or inf in 1 row(s)"


@pytest.fixture
def faulty(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The module beside the project's conftest.py, whose folder pytest puts on sys.path
    (in xdist workers too), as in a user's project."""
    pytester.makepyfile(faulty=FAULTY)
    pytester.makeconftest("")
    monkeypatch.setenv("CRASH_MARKER", str(pytester.path / "crashed-once"))


def run(pytester: pytest.Pytester, data: Path, *args: str) -> pytest.HookRecorder:
    return pytester.inline_run(
        "-p", "no:cacheprovider", f"--mieb-data-dir={data}", "--mieb-results-dir=results",
        "-m", "mieb_local and zeroshot", *args,
    )  # fmt: skip


def calls(reprec: pytest.HookRecorder) -> dict[str, pytest.TestReport]:
    """Item name -> its report (the failing phase's, else the call's)."""
    out: dict[str, pytest.TestReport] = {}
    for report in reprec.getreports("pytest_runtest_logreport"):
        name = report.nodeid.split("::")[-1]
        if report.failed or (report.when == "call" and name not in out):
            out[name] = report
    return out


def assert_clean_and_traceback_failures(reports: dict[str, pytest.TestReport]) -> None:
    for task in ZERO_SHOT:
        nan = reports[f"{task}[faulty:nan_text]"]
        assert nan.failed and nan.when == "call"
        assert nan.longrepr == NAN_LINE.format(task=task)  # exactly the line, no traceback
        raising = reports[f"{task}[faulty:raising]"]
        assert raising.failed and raising.when == "call"
        lines = raising.longreprtext.splitlines()
        assert any(line.startswith("E ") and "RuntimeError: boom" in line for line in lines)
        assert '>           raise RuntimeError("boom in encode_pixels")' in lines  # user's code
        assert reports[f"{task}[baseline/pixels]"].passed


@pytest.mark.usefixtures("offline_env", "faulty")
def test_failing_items_fail_and_the_others_still_pass_serially(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    models = ("--mieb-model=faulty:nan_text", "--mieb-model=faulty:raising")
    reprec = run(pytester, local_data, *models, "--mieb-model=baseline/pixels")
    assert reprec.ret == pytest.ExitCode.TESTS_FAILED
    passed, skipped, failed = reprec.listoutcomes()
    assert (len(passed), len(skipped), len(failed)) == (2, 0, 4)
    assert_clean_and_traceback_failures(calls(reprec))


@pytest.mark.usefixtures("offline_env", "faulty")
def test_failing_and_crashing_items_under_xdist_leave_the_others_running(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    models = (
        "--mieb-model=faulty:nan_text",
        "--mieb-model=faulty:raising",
        "--mieb-model=faulty:crashing",
        "--mieb-model=baseline/pixels",
    )
    reprec = run(pytester, local_data, *models, "-n", "2")
    assert reprec.ret == pytest.ExitCode.TESTS_FAILED
    reports = calls(reprec)
    assert_clean_and_traceback_failures(reports)
    crashing = [reports[f"{task}[faulty:crashing]"] for task in ZERO_SHOT]
    assert sorted(r.outcome for r in crashing) == ["failed", "passed"]  # died once, then ran
    crashed = next(r for r in crashing if r.failed)
    assert "crashed" in crashed.longreprtext
    assert sum(r.passed for r in reports.values()) == 3


@pytest.mark.usefixtures("offline_env", "faulty")
def test_keyboard_interrupt_still_stops_the_run(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    reprec = pytester.inline_run(
        "-p", "no:cacheprovider", f"--mieb-data-dir={local_data}", "--mieb-results-dir=results",
        "-m", "mieb_local and zeroshot", "--mieb-model=faulty:interrupting",
        "--mieb-model=baseline/pixels", no_reraise_ctrlc=True,
    )  # fmt: skip
    assert reprec.ret == pytest.ExitCode.INTERRUPTED
    assert reprec.listoutcomes() == ([], [], [])  # nothing after the interrupt ran


@pytest.mark.usefixtures("offline_env")
def test_a_result_file_that_cannot_be_written_fails_its_item_in_one_line(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    pytester.path.joinpath("blocked").write_text("a file where the results folder should be")
    reprec = pytester.inline_run(
        "-p", "no:cacheprovider", f"--mieb-data-dir={local_data}", "--mieb-results-dir=blocked",
        "-m", "mieb_local and zeroshot", "--mieb-model=baseline/pixels",
    )  # fmt: skip
    assert reprec.ret == pytest.ExitCode.TESTS_FAILED
    reports = [r for r in reprec.getreports("pytest_runtest_logreport") if r.failed]
    assert len(reports) == 2
    for report in reports:
        line = str(report.longrepr)
        assert line.startswith("ResultWriteError: could not write ") and "\n" not in line
        assert "LocalDigits" in line and ".json: " in line
        # The scores were measured: they still reach JUnit XML and the leaderboard.
        assert any(name == "mieb.main_score" for name, _ in report.user_properties)


@pytest.mark.usefixtures("offline_env")
def test_the_summary_survives_undefined_scores_and_an_unwritable_leaderboard(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    args = (
        "-p", "no:cacheprovider", f"--mieb-data-dir={local_data}", "--mieb-results-dir=results",
        "--mieb-model=baseline/pixels", "--mieb-tasks=LocalDigitsZeroShot,LocalScenesT2IRetrieval",
    )  # fmt: skip
    pytester.runpytest(*args).assert_outcomes(passed=2)
    # An old result file whose main score is undefined, written the old way (bare NaN).
    saved = next((pytester.path / "results").rglob("LocalDigitsZeroShot.json"))
    saved.write_text(saved.read_text().replace('"main_score": 0.', '"main_score": NaN, "x": 0.'))
    pytester.path.joinpath("blocked").write_text("a file where a folder should be")

    result = pytester.runpytest(*args, "--mieb-leaderboard=blocked/board.html")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    text = result.stdout.str()
    assert "could not write the leaderboard to " in text and "INTERNALERROR" not in text
    result.stdout.fnmatch_lines(["*LocalDigitsZeroShot*-", "*LocalScenesT2IRetrieval*.*"])


LOADERS = """
import os


def count(what):
    with open(os.environ["LOAD_COUNT"], "a") as fh:
        fh.write(what + "\\n")


def broken():
    count("broken")
    raise RuntimeError("CUDA out of memory")
"""

HOOK = """
from loaders import count


def pytest_mieb_load_encoder(model_id, device, precision):
    if model_id == "acme/adapter-bug":
        count(model_id)
        raise AttributeError("'NoneType' object has no attribute 'vision_model'")
    return None
"""


@pytest.fixture
def loaders(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A factory that raises, and a conftest hook whose load raises; both count calls."""
    pytester.makepyfile(loaders=LOADERS)
    pytester.makeconftest(HOOK)
    counter = pytester.path / "loads.txt"
    monkeypatch.setenv("LOAD_COUNT", str(counter))
    return counter


@pytest.mark.usefixtures("offline_env")
def test_a_model_that_fails_to_load_is_tried_once_and_its_items_point_to_the_first(
    pytester: pytest.Pytester, local_data: Path, loaders: Path
) -> None:
    models = ("--mieb-model=loaders:broken", "--mieb-model=acme/adapter-bug")
    reprec = run(pytester, local_data, *models, "--mieb-model=baseline/pixels")
    assert reprec.ret == pytest.ExitCode.TESTS_FAILED
    assert sorted(loaders.read_text().split()) == ["acme/adapter-bug", "broken"]  # once each
    reports = calls(reprec)
    first, second = (f"{task}[loaders:broken]" for task in ZERO_SHOT)
    assert reports[first].when == "setup"
    assert reports[first].longrepr == (
        "ModelLoadError: factory 'loaders:broken' raised RuntimeError: CUDA out of memory"
    )
    assert reports[second].longreprtext == f"model loaders:broken failed to load (see {first})"
    first, second = (f"{task}[acme/adapter-bug]" for task in ZERO_SHOT)
    lines = reports[first].longreprtext.splitlines()  # not a known kind: the traceback
    assert any(line.startswith(">") and "raise AttributeError(" in line for line in lines)
    assert lines[-1].endswith(": AttributeError")
    assert reports[second].longreprtext == f"model acme/adapter-bug failed to load (see {first})"
    assert [reports[f"{task}[baseline/pixels]"].outcome for task in ZERO_SHOT] == ["passed"] * 2


@pytest.mark.usefixtures("offline_env")
def test_under_xdist_a_failing_model_is_tried_once_per_worker(
    pytester: pytest.Pytester, local_data: Path, loaders: Path
) -> None:
    reprec = run(
        pytester, local_data, "--mieb-model=loaders:broken", "--mieb-model=baseline/pixels",
        "-m", "mieb_local", "-n", "2",
    )  # fmt: skip
    assert reprec.ret == pytest.ExitCode.TESTS_FAILED
    assert 1 <= len(loaders.read_text().split()) <= 2
    reports = calls(reprec)
    broken = [r for name, r in reports.items() if name.endswith("[loaders:broken]")]
    assert len(broken) == 17 and all(r.failed for r in broken)
    passed = [r for name, r in reports.items() if name.endswith("[baseline/pixels]")]
    assert len(passed) == 17 and all(r.passed for r in passed)


@pytest.mark.usefixtures("offline_env", "faulty")
def test_out_of_memory_even_for_one_input_fails_that_task_only_with_one_line(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    reprec = pytester.inline_run(
        "-p", "no:cacheprovider", f"--mieb-data-dir={local_data}", "--mieb-results-dir=results",
        "-m", "mieb_local", "--mieb-tasks=LocalDigitsZeroShot,LocalDigitsClustering",
        "--mieb-model=faulty:oom_text",
    )  # fmt: skip
    reports = calls(reprec)
    assert reports["LocalDigitsClustering[faulty:oom_text]"].passed  # images only: fits
    failed = reports["LocalDigitsZeroShot[faulty:oom_text]"]
    assert failed.failed and failed.when == "call"
    line = str(failed.longrepr)
    assert "\n" not in line
    assert line.startswith(
        "EncoderOutOfMemory: out of memory encoding a single input of the text inputs '"
    ), line
    assert line.endswith("(batch size 1): CUDA out of memory. Tried to allocate 20.00 GiB"), line
