"""What turns the packaged suites on besides --mieb-model: a `-m` that asks for a MIEB
marker, or a project's own `mieb_encoder` fixture. Tested from a project with `testpaths`
and tests of its own, as a training project is."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_mieb.plugin.triggers import (
    declared_markers,
    defines_encoder_fixture,
    mieb_markers_named,
    names_in,
)

OVERRIDE = """
import pytest
from pytest_mieb.models.baselines import PixelsBaseline


@pytest.fixture(scope="session")
def mieb_encoder():
    encoder = PixelsBaseline()
    encoder.name = "acme/trained"  # the model a training job just produced
    return encoder
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\ntestpaths = tests\nmarkers =\n    retrieval: our search tests\n")
    pytester.mkdir("tests").joinpath("test_own.py").write_text("def test_own():\n    pass\n")
    return pytester


def ids(result: pytest.RunResult) -> list[str]:
    return [line.split("::")[-1] for line in result.outlines if "::" in line]


def mieb_ids(result: pytest.RunResult) -> list[str]:
    return [i for i in ids(result) if i != "test_own"]


@pytest.mark.usefixtures("offline_env")
def test_m_mieb_local_with_an_overridden_fixture_runs_the_offline_suite_with_it(
    project: pytest.Pytester, local_data: Path
) -> None:
    project.makeconftest(OVERRIDE)
    collected = project.runpytest("-m", "mieb_local", "--collect-only", "-q")
    assert len(ids(collected)) == 17 and "test_own" not in ids(collected)
    result = project.runpytest(
        "-p", "no:cacheprovider", "-m", "mieb_local", f"--mieb-data-dir={local_data}",
        "--mieb-results-dir=results",
    )  # fmt: skip
    result.assert_outcomes(passed=17)
    folders = {p.name for p in (project.path / "results").iterdir()}
    assert folders == {"acme__trained"}  # scored with the fixture's encoder


@pytest.mark.usefixtures("offline_env")
def test_m_with_a_type_marker_selects_among_the_mieb_tasks(
    project: pytest.Pytester, local_data: Path
) -> None:
    project.makeconftest(OVERRIDE)
    result = project.runpytest(
        "-p", "no:cacheprovider", "-m", "mieb_local and zeroshot",
        f"--mieb-data-dir={local_data}", "--mieb-results-dir=results", "-v",
    )  # fmt: skip
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*LocalDigitsZeroShot PASSED*", "*LocalDigitsWdsZeroShot PASSED*"])


def test_m_naming_a_mieb_marker_collects_the_suites_without_a_fixture(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest("-m", "mieb_lite", "--collect-only", "-q")
    assert len(ids(result)) == 51


def test_m_naming_a_mieb_marker_without_any_model_is_a_usage_error(
    project: pytest.Pytester,
) -> None:
    """A CI gate `pytest -m mieb_lite` that forgot its model must not pass green."""
    result = project.runpytest("-m", "mieb_local and zeroshot", "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    (line,) = [line for line in result.errlines if "pytest-mieb" in line]
    assert "-m 'mieb_local and zeroshot' selects MIEB tasks, but no model is given" in line
    assert "--mieb-model=ID" in line and "mieb_encoder fixture" in line
    assert "collected" not in result.stdout.str() and "test_own" not in result.stdout.str()
    serial = project.runpytest("-m", "mieb_lite or slow")
    assert serial.ret == pytest.ExitCode.USAGE_ERROR
    # The project's own markers, and an expression that leaves MIEB out, are not asked for it.
    assert project.runpytest("-m", "retrieval").ret == pytest.ExitCode.NO_TESTS_COLLECTED
    project.runpytest("-m", "not mieb_local").assert_outcomes(passed=1)


def test_without_a_trigger_nothing_mieb_is_collected(project: pytest.Pytester) -> None:
    assert ids(project.runpytest("--collect-only", "-q")) == ["test_own"]
    assert ids(project.runpytest("-m", "not mieb", "--collect-only", "-q")) == ["test_own"]


def test_an_overridden_fixture_adds_the_suites_to_a_plain_run(project: pytest.Pytester) -> None:
    project.makeconftest(OVERRIDE)
    found = ids(project.runpytest("--collect-only", "-q"))
    assert "test_own" in found  # the project's tests still run
    assert len(found) == 1 + 149
    named = ids(project.runpytest("tests", "--collect-only", "-q"))
    assert named == ["test_own"]  # paths named on the command line are left as named


def test_a_marker_the_project_declares_stays_the_projects_with_a_hint(
    project: pytest.Pytester,
) -> None:
    result = project.runpytest("-m", "retrieval")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.stdout.fnmatch_lines(
        ["pytest-mieb: this project declares the marker(s) retrieval itself*--mieb-model=ID*"]
    )
    nothing = project.runpytest(
        "--mieb-model=baseline/pixels", "-m", "mieb_local and document and zeroshot"
    )
    assert nothing.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    nothing.stdout.fnmatch_lines(["pytest-mieb: no MIEB task matched -m *"])


def test_which_markers_an_expression_asks_for() -> None:
    mieb = {"mieb", "mieb_lite", "mieb_local", "zeroshot", "retrieval"}

    def asked(expression: str, declared: set[str] = frozenset()) -> set[str]:
        return mieb_markers_named(expression, mieb, declared)

    assert asked("mieb_lite") == {"mieb_lite"}
    assert asked("mieb_local and zeroshot") == {"mieb_local", "zeroshot"}
    assert asked("mieb_lite or slow") == {"mieb_lite"}
    assert asked("not mieb") == asked("not (mieb or slow)") == asked("slow") == set()
    assert asked("retrieval", declared={"retrieval"}) == set()
    assert asked("mieb_lite(size=1)") == {"mieb_lite"}
    assert names_in("a-b/c and not x[1]") == {"a-b/c", "x[1]"}
    assert declared_markers(["slow: long", "mark(x): y", ""]) == {"slow", "mark"}


def test_a_renamed_fixture_counts_as_an_override() -> None:
    @pytest.fixture(name="mieb_encoder")
    def trained_model() -> None:
        return None

    class Plugin:
        model = trained_model

    assert defines_encoder_fixture(Plugin)
    assert not defines_encoder_fixture(object())
