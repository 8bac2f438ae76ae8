"""`--mieb-opt PATH` and `--mieb-opt=PATH` give the same run: rootdir, ini file, items.

pytest takes an existing path after an option it does not know yet for a test path when
it picks the rootdir; the plugin runs such a command line again in the `=` spelling.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_mieb.plugin.argv import joined, rewritten
from pytest_mieb.plugin.options import value_options

SHOW = """
def pytest_collection_finish(session):
    config = session.config
    print("ROOTDIR", config.rootpath)
    print("INIFILE", config.inipath)
    for item in session.items:
        print("ITEM", item.nodeid)
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with testpaths and a test of its own; a conftest shows what pytest chose."""
    pytester.makeini("[pytest]\ntestpaths = tests\n")
    pytester.mkdir("tests").joinpath("test_own.py").write_text("def test_own():\n    pass\n")
    pytester.makeconftest(SHOW)
    return pytester


@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An existing folder outside the project (as a data mirror or results folder is)."""
    return tmp_path_factory.mktemp("outside-the-project")


def chosen(result: pytest.RunResult) -> tuple[list[str], list[str], list[str]]:
    lines = result.outlines
    pick = lambda tag: [line.split(" ", 1)[1] for line in lines if line.startswith(tag + " ")]  # noqa: E731
    return pick("ROOTDIR"), pick("INIFILE"), pick("ITEM")


Runner = Callable[..., pytest.RunResult]


@pytest.mark.parametrize("how", ["runpytest", "runpytest_subprocess"])
def test_two_tokens_and_equals_give_the_same_rootdir_inifile_and_items(
    project: pytest.Pytester, outside: Path, how: str
) -> None:
    runner: Runner = getattr(project, how)
    selection = ("-p", "no:cacheprovider", "--mieb-model=baseline/pixels", "--mieb-tasks=CIFAR10")
    spaced = runner(*selection, "--mieb-data-dir", str(outside), "--collect-only")
    joined_ = runner(*selection, f"--mieb-data-dir={outside}", "--collect-only")
    assert chosen(spaced) == chosen(joined_)
    rootdir, inifile, items = chosen(spaced)
    assert rootdir == [str(project.path)] and inifile == [str(project.path / "tox.ini")]
    assert [i.split("::")[-1] for i in items] == ["CIFAR10[baseline/pixels]"]  # not test_own
    assert spaced.stdout.str().count("test session starts") == 1  # one run is shown


def test_addopts_with_two_tokens_gives_the_same_run(
    project: pytest.Pytester, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("-p", "no:cacheprovider", "--mieb-model=baseline/pixels", "--collect-only")
    expected = chosen(project.runpytest(*args, "-k", "CIFAR10", f"--mieb-results-dir={outside}"))
    monkeypatch.setenv("PYTEST_ADDOPTS", f"-k CIFAR10 --mieb-results-dir {outside}")
    assert chosen(project.runpytest(*args)) == expected
    import os

    assert os.environ["PYTEST_ADDOPTS"] == f"-k CIFAR10 --mieb-results-dir {outside}"  # restored


@pytest.mark.usefixtures("offline_env")
def test_two_token_paths_under_xdist_run_only_the_mieb_items(
    project: pytest.Pytester, local_data: Path, outside: Path
) -> None:
    reprec = project.inline_run(
        "-p", "no:cacheprovider", "--mieb-model=baseline/pixels", "--mieb-tasks",
        "LocalDigitsZeroShot", "--mieb-data-dir", str(local_data), "--mieb-results-dir",
        str(outside), "-n", "2",
    )  # fmt: skip
    assert reprec.ret == pytest.ExitCode.OK
    passed = [r.nodeid.split("::")[-1] for r in reprec.getreports() if r.when == "call"]
    assert passed == ["LocalDigitsZeroShot[baseline/pixels]"]
    assert list(outside.rglob("LocalDigitsZeroShot.json"))  # the option reached the workers


def test_only_two_token_values_that_are_paths_cause_a_rerun(tmp_path: Path) -> None:
    options = value_options()
    assert "--mieb-data-dir" in options and "--mieb-tasks" in options
    assert "--mieb-overwrite" not in options  # a flag takes no value
    (tmp_path / "mirror").mkdir()
    assert joined(["--mieb-tasks", "CIFAR10", "-x"], options, tmp_path) is None
    assert joined(["--mieb-tasks", "CIFAR10", "--mieb-data-dir", "mirror"], options, tmp_path) == [
        "--mieb-tasks=CIFAR10", "--mieb-data-dir=mirror",
    ]  # fmt: skip
    assert joined(["--mieb-limit", "-5", "mirror"], options, tmp_path) is None
    assert joined(["--", "--mieb-data-dir", "mirror"], options, tmp_path) is None
    assert rewritten(["-q"], "--mieb-data-dir mirror -x", options, tmp_path) == (
        ["-q"], "--mieb-data-dir=mirror -x",
    )  # fmt: skip
    assert rewritten(["-q"], "", options, tmp_path) is None
