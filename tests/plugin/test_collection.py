"""Collection of MIEB tasks as pytest items: counts, ids, markers, keywords, selection."""

from __future__ import annotations

import re

import pytest

from pytest_mieb.tasks.index import load_all_specs, load_benchmarks


def collected_ids(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if "::" in line]


def count_line(result: pytest.RunResult) -> str:
    return result.outlines[-1]


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        ("mieb_lite", 51),
        ("mieb_multilingual", 130),
        ("mieb_eng", 125),
        ("mieb_img", 49),
        ("mieb", 132),
    ],
)
def test_benchmark_markers_select_the_published_task_counts(
    pytester: pytest.Pytester, marker: str, expected: int
) -> None:
    result = pytester.runpytest("--mieb-model=acme/m", "-m", marker, "--collect-only", "-q")
    assert len(collected_ids(result)) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-m", "mieb", "-k", "retrieval"], 58),
        (["-m", "mieb_lite", "-k", "retrieval"], 19),
        (["-m", "mieb and retrieval"], 58),
        (["-m", "mieb and zeroshot"], 23),
        (["-m", "mieb", "-k", "zeroshot"], 23),
        (["-m", "mieb and linear_probe"], 22),
        (["-m", "mieb", "-k", "clustering"], 5),
        (["-m", "mieb and document"], 10),
        (["-m", "mieb and compositionality"], 7),
        (["-m", "mieb and vision_centric_qa"], 6),
        (["-m", "mieb and visual_sts"], 11),
        (["-m", "mieb and multilingual"], 7),
    ],
)
def test_type_markers_and_keywords_select_by_task_type(
    pytester: pytest.Pytester, args: list[str], expected: int
) -> None:
    result = pytester.runpytest("--mieb-model=acme/m", *args, "--collect-only", "-q")
    assert len(collected_ids(result)) == expected


def test_item_ids_carry_task_and_model(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "--mieb-model=openai/clip-vit-base-patch16", "-k", "CIFAR10ZeroShot", "--collect-only", "-q"
    )
    ids = collected_ids(result)
    assert [i.split("::")[-1] for i in ids] == ["CIFAR10ZeroShot[openai/clip-vit-base-patch16]"]


def test_several_models_give_one_item_per_task_and_model(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "--mieb-model=baseline/random",
        "--mieb-model=baseline/pixels",
        "-m",
        "mieb_lite",
        "--collect-only",
        "-q",
    )
    ids = [i.split("::")[-1] for i in collected_ids(result)]
    assert len(ids) == 2 * 51
    assert "STL10[baseline/random]" not in ids  # STL10 is not in MIEB(lite)
    assert "CUB200I2IRetrieval[baseline/random]" in ids
    assert "CUB200I2IRetrieval[baseline/pixels]" in ids


def test_benchmark_option_selects_by_mteb_name(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "--mieb-benchmark", "MIEB(lite)", "--mieb-model=acme/m", "--collect-only", "-q"
    )
    names = {i.split("::")[-1].split("[")[0] for i in collected_ids(result)}
    assert names == set(load_benchmarks()["MIEB(lite)"].tasks)


def test_tasks_option_selects_by_name(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "--mieb-tasks", "CIFAR10,Winoground", "--mieb-model=acme/m", "--collect-only", "-q"
    )
    names = sorted(i.split("::")[-1] for i in collected_ids(result))
    assert names == ["CIFAR10[acme/m]", "Winoground[acme/m]"]


def test_unknown_task_name_is_a_usage_error_with_a_suggestion(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--mieb-tasks", "CIFAR1O", "--mieb-model=acme/m", "--collect-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown task name*CIFAR1O*did you mean*CIFAR10*"])


def test_unknown_benchmark_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "--mieb-benchmark", "MIEB(tiny)", "--mieb-model=acme/m", "--collect-only"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown benchmark 'MIEB(tiny)'*MIEB(lite)*"])


def test_strict_markers_accepts_every_mieb_marker(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "--strict-markers", "--mieb-model=acme/m", "-m", "mieb", "--collect-only", "-q"
    )
    assert result.ret == pytest.ExitCode.OK
    assert len(collected_ids(result)) == 132


def test_without_a_model_items_skip_with_a_one_line_remedy(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--mieb-tasks", "CIFAR10,STL10", "-rs")
    outcomes = result.parseoutcomes()
    assert outcomes["skipped"] == 2 and "passed" not in outcomes and "failed" not in outcomes
    skip_lines = [line for line in result.outlines if line.startswith("SKIPPED")]
    assert len(skip_lines) == 2
    assert all("--mieb-model=" in line and "mieb_encoder" in line for line in skip_lines)


def test_plain_test_runs_are_unaffected(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = pytester.runpytest("test_plain.py")
    result.assert_outcomes(passed=1)


def test_collection_with_a_model_runs_from_an_empty_directory(pytester: pytest.Pytester) -> None:
    # pytester's directory is empty: the packaged suites must be supplied by the plugin.
    assert not list(pytester.path.iterdir())
    result = pytester.runpytest("--mieb-model=acme/m", "-m", "mieb_lite", "--collect-only", "-q")
    assert len(collected_ids(result)) == 51


def test_help_lists_every_option_in_the_mieb_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    text = result.stdout.str()
    group = text[text.index("MIEB image-embedding benchmark") :]
    group = group[: group.index("\n\n")]
    for option in (
        "--mieb-model",
        "--mieb-benchmark",
        "--mieb-tasks",
        "--mieb-batch-size",
        "--mieb-device",
        "--mieb-precision",
        "--mieb-results-dir",
        "--mieb-data-dir",
        "--mieb-limit",
    ):
        assert re.search(rf"^\s+{option}\b", group, re.MULTILINE), option


def test_ini_options_are_read(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmieb_model = baseline/random\n")
    result = pytester.runpytest("--mieb-tasks", "CIFAR10", "--collect-only", "-q")
    assert [i.split("::")[-1] for i in collected_ids(result)] == ["CIFAR10[baseline/random]"]


def test_ini_model_alone_does_not_pull_suites_into_a_plain_run(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmieb_model = baseline/random\n")
    pytester.makepyfile(test_plain="def test_one():\n    assert True\n")
    result = pytester.runpytest("test_plain.py")
    result.assert_outcomes(passed=1)


def test_collection_imports_no_heavy_library(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import sys

        def pytest_collection_finish(session):
            heavy = sorted(m for m in ("torch", "transformers", "datasets", "open_clip")
                           if m in sys.modules)
            print("HEAVY:", ",".join(heavy) or "none")
        """
    )
    result = pytester.runpytest_subprocess(
        "--mieb-model=acme/m", "-m", "mieb", "--collect-only", "-q"
    )
    result.stdout.fnmatch_lines(["HEAVY: none"])
    assert len(collected_ids(result)) == 132


def test_every_packaged_task_is_consistent_with_its_benchmarks() -> None:
    specs = {n: s for n, s in load_all_specs().items() if "mieb" in s.markers}
    benchmarks = load_benchmarks()
    assert len(specs) == 132
    for bench in benchmarks.values():
        assert set(bench.tasks) <= set(specs), bench.name
    for spec in specs.values():
        assert spec.dataset.revision, spec.name
        assert spec.main_score, spec.name


def test_a_mieb_run_in_a_project_with_testpaths_collects_suites_not_its_tests(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\ntestpaths = tests\n")
    pytester.mkdir("tests").joinpath("test_x.py").write_text("def test_x():\n    pass\n")
    mieb_run = pytester.runpytest("--mieb-model=acme/m", "--collect-only", "-q")
    ids = collected_ids(mieb_run)
    assert len(ids) > 132 and not any("test_x" in i for i in ids)
    plain_run = pytester.runpytest("--collect-only", "-q")
    assert collected_ids(plain_run) == ["tests/test_x.py::test_x"]
