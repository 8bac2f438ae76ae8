"""Running MIEB items end to end through the plugin, on the offline suite's real data path."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

TWO_TASKS = "LocalDigitsZeroShot,LocalScenesT2IRetrieval"


def run(pytester: pytest.Pytester, data: Path, *args: str) -> pytest.RunResult:
    # `--opt=value` form: pytest takes bare existing paths on the command line into account
    # when it picks the rootdir, even when they are option values.
    return pytester.runpytest(
        "-p", "no:cacheprovider", f"--mieb-data-dir={data}", "--mieb-results-dir=results", *args
    )


def assert_ran(result: pytest.RunResult, passed: int = 0, failed: int = 0) -> None:
    outcomes = result.parseoutcomes()
    assert (outcomes.get("passed", 0), outcomes.get("failed", 0)) == (passed, failed), outcomes
    assert outcomes.get("errors", 0) == 0, outcomes


def result_files(root: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(root.rglob("*.json"))}


@pytest.mark.usefixtures("offline_env")
def test_offline_suite_runs_every_task_and_prints_the_leaderboard(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    result = run(pytester, local_data, "--mieb-model=baseline/pixels", "-m", "mieb_local")
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == 17 and "failed" not in outcomes
    text = result.stdout.str()
    assert "MIEB leaderboard" in text
    for task_type in ("ImageClassification", "Any2AnyRetrieval", "VisualSTS(multi)"):
        assert task_type in text
    assert "Mean (TaskType)" in text
    files = result_files(pytester.path / "results")
    assert len(files) == 17
    zero_shot = files["LocalDigitsZeroShot"]
    assert list(zero_shot)[:8] == [
        "dataset_revision", "task_name", "mteb_version", "scores", "evaluation_time",
        "kg_co2_emissions", "date", "evaluation_phases",
    ]  # fmt: skip
    score = zero_shot["scores"]["test"][0]
    assert score["main_score"] == score["accuracy"]
    assert 0.0 <= score["accuracy"] <= 1.0


@pytest.mark.usefixtures("offline_env")
def test_scores_reach_junit_xml_as_properties(pytester: pytest.Pytester, local_data: Path) -> None:
    result = run(
        pytester, local_data, "--mieb-model=baseline/pixels", "--mieb-tasks", TWO_TASKS,
        "--junitxml=report.xml",
    )  # fmt: skip
    assert_ran(result, passed=2)
    cases = ET.parse(pytester.path / "report.xml").getroot().iter("testcase")
    props = {
        case.get("name"): {p.get("name"): p.get("value") for p in case.iter("property")}
        for case in cases
    }
    retrieval = props["LocalScenesT2IRetrieval[baseline/pixels]"]
    assert retrieval["mieb.task"] == "LocalScenesT2IRetrieval"
    assert retrieval["mieb.model"] == "baseline/pixels"
    assert retrieval["mieb.dataset_revision"] == "local-v1"
    assert retrieval["mieb.limited"] == "False"
    assert float(retrieval["mieb.main_score"]) == float(retrieval["mieb.scores.default.ndcg_at_10"])
    assert "mieb.scores.default.map_at_10" in retrieval
    saved = result_files(pytester.path / "results")["LocalScenesT2IRetrieval"]
    assert float(retrieval["mieb.main_score"]) == saved["scores"]["test"][0]["main_score"]


@pytest.mark.usefixtures("offline_env")
def test_rerun_reuses_saved_results_and_overwrite_recomputes(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    args = ("--mieb-model=baseline/pixels", "--mieb-tasks", TWO_TASKS, "--junitxml=report.xml")
    assert_ran(run(pytester, local_data, *args), passed=2)
    saved = sorted((pytester.path / "results").rglob("*.json"))
    stamps = [p.stat().st_mtime_ns for p in saved]

    assert_ran(run(pytester, local_data, *args), passed=2)
    assert [p.stat().st_mtime_ns for p in saved] == stamps
    assert 'name="mieb.reused" value="True"' in (pytester.path / "report.xml").read_text()

    assert_ran(run(pytester, local_data, *args, "--mieb-overwrite"), passed=2)
    assert [p.stat().st_mtime_ns for p in saved] != stamps
    assert 'name="mieb.reused" value="False"' in (pytester.path / "report.xml").read_text()


@pytest.mark.usefixtures("offline_env")
def test_encoder_is_loaded_once_for_all_items_of_a_model(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    pytester.makeconftest(
        """
        from pytest_mieb.plugin.hooks import STATE

        def pytest_sessionfinish(session):
            loads = session.config.stash[STATE].encoder_loads
            print("LOADS", sorted(loads.items()))
        """
    )
    result = run(
        pytester, local_data, "--mieb-model=baseline/pixels", "--mieb-model=baseline/random",
        "-m", "mieb_local", "-k", "Digits", "-s",
    )  # fmt: skip
    assert result.parseoutcomes()["passed"] == 2 * 4  # four Digits tasks, two models
    assert "LOADS [('baseline/pixels', 1), ('baseline/random', 1)]" in result.stdout.str()
    result.stdout.fnmatch_lines(
        ["baseline/pixels: encoded * image inputs, * text inputs; * requests served from *"]
    )


def test_an_unknown_model_id_is_one_usage_error_before_collection(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest("--mieb-model=nosuchthing", "-m", "mieb_lite")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if "nosuchthing" in line]
    assert len(errors) == 1
    line = errors[0]
    assert line.startswith("ERROR: --mieb-model: unknown model id 'nosuchthing'")
    assert line.count("accepted forms") == 1 and "package.module:factory" in line
    assert "collected" not in result.stdout.str()


def test_a_plugin_that_loads_encoders_may_accept_ids_of_its_own_form(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        def pytest_mieb_load_encoder(model_id, device, precision):
            return None
        """
    )
    result = pytester.runpytest("--mieb-model=registry://acme-7", "-m", "mieb_lite", "--co", "-q")
    assert result.ret == pytest.ExitCode.OK
    assert "Country211ZeroShot[registry://acme-7]" in result.stdout.str()


@pytest.mark.usefixtures("offline_env")
def test_missing_dataset_fails_with_dataset_and_revision_not_skips(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    pytester.path.joinpath("missing.toml").write_text(
        """
[[task]]
name = "AcmeMissingZeroShot"
type = "ZeroShotClassification"
protocol = "zero_shot"
main_score = "accuracy"
modalities = ["image", "text"]
dataset = { path = "acme/not-mirrored", revision = "deadbeef" }
columns = { image = "image", label = "label" }
params = { candidate_labels = ["a cat", "a dog"], scoring_path = "clip_softmax" }
"""
    )
    result = run(pytester, local_data, "missing.toml", "--mieb-model=baseline/pixels")
    assert_ran(result, failed=1)
    text = result.stdout.str()
    failure = next(line for line in result.outlines if line.startswith("DataError: "))
    assert "acme/not-mirrored" in failure and "deadbeef" in failure
    assert "Traceback" not in text and "SKIPPED" not in text


def _copy_local_task(pytester: pytest.Pytester, name: str, new_name: str, extra: str = "") -> Path:
    """A user's suite file holding one offline task under another name (same data)."""
    from pytest_mieb.tasks.index import load_all_specs

    spec = load_all_specs()[name]
    params = json.dumps(dict(spec.params))
    columns = json.dumps(dict(spec.columns))
    text = f"""
[[task]]
name = "{new_name}"
type = "{spec.type}"
protocol = "{spec.protocol}"
loader = "{spec.loader}"
category = "{spec.category}"
modalities = {json.dumps(list(spec.modalities))}
main_score = "{spec.main_score}"
eval_split = "{spec.eval_split}"
dataset = {{ path = "{spec.dataset.path}", revision = "{spec.dataset.revision}" }}
columns = {_inline(columns)}
params = {_inline(params)}
markers = ["mieb_local"]
{extra}
"""
    path = pytester.path / "mine.toml"
    path.write_text(text)
    return path


def _inline(json_text: str) -> str:
    """JSON object -> TOML inline table (our specs hold only strings, numbers, lists, bools)."""
    data = json.loads(json_text)
    items = ", ".join(f"{k} = {json.dumps(v)}" for k, v in data.items())
    return "{ " + items.replace("true", "true").replace("false", "false") + " }"


@pytest.mark.usefixtures("offline_env")
def test_min_score_in_a_suite_file_fails_with_one_line(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    _copy_local_task(pytester, "LocalDigitsZeroShot", "GatedDigits", "min_score = 0.99")
    result = run(pytester, local_data, "mine.toml", "--mieb-model=baseline/pixels")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert_ran(result, failed=1)
    result.stdout.fnmatch_lines(["*GateFailure: GatedDigits accuracy 0.* < min 0.990*"])
    smoke = run(pytester, local_data, "mine.toml", "--mieb-model=baseline/pixels", "--mieb-limit=5")
    assert_ran(smoke, passed=1)  # limited results are never held to full-run minimums


@pytest.mark.usefixtures("offline_env")
def test_min_scores_from_pyproject_apply(pytester: pytest.Pytester, local_data: Path) -> None:
    pytester.makepyprojecttoml(
        "[tool.pytest_mieb.min_scores]\nLocalDigitsZeroShot = 0.99\nLocalScenesT2IRetrieval = 0.0\n"
    )
    result = run(pytester, local_data, "--mieb-model=baseline/pixels", "--mieb-tasks", TWO_TASKS)
    assert_ran(result, passed=1, failed=1)
    result.stdout.fnmatch_lines(["*LocalDigitsZeroShot accuracy * < min 0.990*"])


@pytest.mark.usefixtures("offline_env")
def test_planted_regression_against_a_baseline_fails_the_run(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    args = ("--mieb-model=baseline/pixels", "--mieb-tasks", TWO_TASKS)
    assert_ran(run(pytester, local_data, *args, "--mieb-results-dir=baseline"), passed=2)
    # Plant a regression: the baseline claims a better zero-shot score than we get.
    planted = next((pytester.path / "baseline").rglob("LocalDigitsZeroShot.json"))
    data = json.loads(planted.read_text())
    ours = data["scores"]["test"][0]["main_score"]
    data["scores"]["test"][0]["main_score"] = data["scores"]["test"][0]["accuracy"] = ours + 0.2
    planted.write_text(json.dumps(data))

    ok = run(pytester, local_data, *args, "--mieb-baseline=baseline", "--mieb-max-drop=0.3")
    assert_ran(ok, passed=2)
    bad = run(pytester, local_data, *args, "--mieb-baseline=baseline", "--mieb-max-drop=0.01")
    assert bad.ret == pytest.ExitCode.TESTS_FAILED
    assert_ran(bad, passed=1, failed=1)
    expected = f"*LocalDigitsZeroShot accuracy {ours:.3f} < baseline {ours + 0.2:.3f} - 0.010*"
    bad.stdout.fnmatch_lines([expected])


@pytest.mark.usefixtures("offline_env")
def test_xdist_gives_exactly_the_result_files_and_leaderboard_of_a_serial_run(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    selection = ("--mieb-model=baseline/pixels", "-m", "mieb_local")
    serial = run(pytester, local_data, *selection, "--mieb-results-dir=serial")
    parallel = run(pytester, local_data, *selection, "-n", "2", "--mieb-results-dir=parallel")
    assert serial.parseoutcomes()["passed"] == parallel.parseoutcomes()["passed"] == 17

    def files(folder: str) -> dict[str, dict]:
        """Whole files, less what differs between any two runs: when, and how long."""
        out = result_files(pytester.path / folder)
        for data in out.values():
            del data["date"], data["evaluation_time"]
        return out

    serial_files, parallel_files = files("serial"), files("parallel")
    assert len(serial_files) == 17
    assert serial_files == parallel_files  # every metric, to the last digit

    def board(result: pytest.RunResult) -> list[str]:
        lines = result.outlines
        start = next(i for i, line in enumerate(lines) if "MIEB leaderboard" in line)
        end = next(i for i, line in enumerate(lines) if line.startswith("results in"))
        return [line for line in lines[start + 1 : end] if line.strip()]

    assert board(serial) == board(parallel)


def test_shards_partition_the_tasks(pytester: pytest.Pytester) -> None:
    def shard(i: int) -> set[str]:
        result = pytester.runpytest(
            "--mieb-model=acme/m", "-m", "mieb_lite", f"--mieb-shard={i}/3", "--collect-only", "-q"
        )
        return {line.split("::")[-1] for line in result.outlines if "::" in line}

    parts = [shard(i) for i in (1, 2, 3)]
    assert all(parts)
    assert sum(len(p) for p in parts) == 51
    assert len(set().union(*parts)) == 51


def test_bad_shard_or_max_drop_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--mieb-model=acme/m", "--mieb-shard=4/3", "--collect-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result = pytester.runpytest("--mieb-model=acme/m", "--mieb-max-drop=lots", "--collect-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


@pytest.mark.usefixtures("offline_env")
def test_leaderboard_file_is_written_in_the_requested_format(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    result = run(
        pytester, local_data, "--mieb-model=baseline/pixels", "--mieb-tasks", TWO_TASKS,
        "--mieb-leaderboard=board.html",
    )  # fmt: skip
    assert_ran(result, passed=2)
    page = (pytester.path / "board.html").read_text()
    assert "LocalScenesT2IRetrieval" in page and "<svg" in page
    assert "<script src" not in page and "https://" not in page


@pytest.mark.usefixtures("offline_env")
def test_limited_runs_are_stored_apart_and_labelled(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    result = run(
        pytester, local_data, "--mieb-model=baseline/pixels", "--mieb-tasks", TWO_TASKS,
        "--mieb-limit=5",
    )  # fmt: skip
    assert_ran(result, passed=2)
    saved = list((pytester.path / "results").rglob("*.json"))
    assert saved and all(p.parent.name == "limit-5" for p in saved)
    assert "limit 5" in result.stdout.str()


@pytest.mark.usefixtures("offline_env")
def test_published_model_scores_that_deviate_are_flagged(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    # A model that calls itself a published model, evaluated on a task that carries a
    # published task's name: its score cannot match, so it must be listed.
    _copy_local_task(pytester, "LocalDigitsZeroShot", "CIFAR10ZeroShot")
    pytester.makeconftest(
        """
        import pytest
        from pytest_mieb.models import load_encoder

        @pytest.fixture(scope="session")
        def mieb_encoder():
            encoder = load_encoder("baseline/pixels")
            encoder.name = "openai/clip-vit-base-patch16"
            return encoder
        """
    )
    result = run(pytester, local_data, "mine.toml")
    assert_ran(result, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*MIEB scores that deviate from published ones*",
            "*openai/clip-vit-base-patch16 CIFAR10ZeroShot: 0.* vs published 0.*",
        ]
    )
    assert "openai/clip-vit-base-patch16 (published)" in result.stdout.str()


KILLER = '''
import os
import signal

from pytest_mieb.models import load_encoder


class KilledMidTask:
    """baseline/pixels that dies (SIGKILL) when asked to embed scene captions."""

    def __init__(self):
        self.inner = load_encoder("baseline/pixels")

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def encode_texts(self, texts):
        if os.environ.get("KILL_MID_TASK") and not texts[0].startswith("a photo of the digit"):
            os.kill(os.getpid(), signal.SIGKILL)
        return self.inner.encode_texts(texts)


def make():
    return KilledMidTask()
'''


@pytest.mark.usefixtures("offline_env")
def test_a_run_killed_mid_task_leaves_whole_files_and_the_rerun_completes(
    pytester: pytest.Pytester, local_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(killer=KILLER)
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(pytester.path), *inherited]))
    args = (
        "-p", "no:cacheprovider", f"--mieb-data-dir={local_data}", "--mieb-results-dir=results",
        "--mieb-model=killer:make", "--mieb-tasks", TWO_TASKS, "--junitxml=report.xml",
    )  # fmt: skip
    monkeypatch.setenv("KILL_MID_TASK", "1")
    killed = pytester.runpytest_subprocess(*args)
    assert killed.ret not in (0, 1)  # the process died
    files = [p for p in (pytester.path / "results").rglob("*") if p.is_file()]
    assert [p.name for p in files] == ["LocalDigitsZeroShot.json"]  # whole files only
    json.loads(files[0].read_text())

    monkeypatch.delenv("KILL_MID_TASK")
    rerun = pytester.runpytest_subprocess(*args)
    assert_ran(rerun, passed=2)
    report = (pytester.path / "report.xml").read_text()
    assert report.count('name="mieb.reused" value="True"') == 1
    assert sorted(p.stem for p in (pytester.path / "results").rglob("*.json")) == [
        "LocalDigitsZeroShot", "LocalScenesT2IRetrieval",
    ]  # fmt: skip


@pytest.mark.usefixtures("offline_env")
def test_bootstrap_adds_intervals_and_gates_only_on_significant_drops(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    args = ("--mieb-model=baseline/pixels", "--mieb-tasks", "LocalScenesT2IRetrieval")
    assert_ran(run(pytester, local_data, *args, "--mieb-results-dir=baseline"), passed=1)
    planted = next((pytester.path / "baseline").rglob("*.json"))
    data = json.loads(planted.read_text())
    ours = data["scores"]["test"][0]["main_score"]

    def plant(score: float) -> None:
        data["scores"]["test"][0]["main_score"] = data["scores"]["test"][0]["ndcg_at_10"] = score
        planted.write_text(json.dumps(data))

    gate = ("--mieb-baseline=baseline", "--mieb-bootstrap=200", "--mieb-overwrite")
    plant(ours + 0.02)  # a small drop, inside the interval: not significant
    small = run(pytester, local_data, *args, *gate)
    assert_ran(small, passed=1)
    saved = json.loads(next((pytester.path / "results").rglob("*.json")).read_text())
    score = saved["scores"]["test"][0]
    assert score["main_score_ci_low"] <= score["main_score"] <= score["main_score_ci_high"]
    assert score["main_score_ci_low"] < score["main_score_ci_high"]

    plain = run(pytester, local_data, *args, "--mieb-baseline=baseline", "--mieb-overwrite")
    assert_ran(plain, failed=1)  # the same drop fails without the significance test

    plant(ours + 0.6)  # far outside the interval
    large = run(pytester, local_data, *args, *gate)
    assert_ran(large, failed=1)
    large.stdout.fnmatch_lines(["*LocalScenesT2IRetrieval ndcg_at_10 * CI * < baseline *"])


def test_terminal_progress_reports_long_encodes_only() -> None:
    from pytest_mieb.plugin.terminal import TerminalProgress

    class Terminal:
        def __init__(self) -> None:
            self.lines: list[str] = []

        def write_line(self, line: str, **_: object) -> None:
            self.lines.append(line)

    quick, slow = Terminal(), Terminal()
    TerminalProgress(quick, every=60)("data/test/img", 10, 10)
    assert quick.lines == []
    progress = TerminalProgress(slow, every=0.0)
    progress("data/test/img", 32, 64)
    progress("data/test/img", 64, 64)
    assert [line.split(" (")[0] for line in slow.lines] == [
        "  encoding data/test/img: 32/64",
        "  encoding data/test/img: 64/64",
    ]


@pytest.mark.usefixtures("offline_env")
def test_reference_option_adds_a_published_column(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    _copy_local_task(pytester, "LocalDigitsZeroShot", "CIFAR10ZeroShot")
    result = run(
        pytester, local_data, "mine.toml", "--mieb-model=baseline/pixels",
        "--mieb-reference=openai/clip-vit-base-patch16",
    )  # fmt: skip
    assert_ran(result, passed=1)
    text = result.stdout.str()
    assert "openai/clip-vit-base-patch16 (published)" in text
    assert "deviate from published" not in text  # baseline/pixels has no published scores
    bad = pytester.runpytest("--mieb-reference=acme/unknown", "--collect-only")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
