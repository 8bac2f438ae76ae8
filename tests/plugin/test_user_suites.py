"""A user's own suite file is collected like the packaged ones: by path or configured dir."""

from __future__ import annotations

import pytest

USER_SUITE = """
[defaults]
type = "Any2AnyRetrieval"
protocol = "retrieval"
loader = "beir"
main_score = "ndcg_at_10"
markers = ["acme_private"]

[defaults.params]
k_values = [1, 5, 10]

[[task]]
name = "AcmeProductsT2IRetrieval"
category = "t2i"
modalities = ["text", "image"]
dataset = { path = "acme/products-retrieval", revision = "0123abcd" }
params = { query_modalities = ["text"], corpus_modalities = ["image"] }

[[task]]
name = "AcmeLogosI2IRetrieval"
category = "i2i"
modalities = ["image"]
dataset = { path = "acme/logos", revision = "4567ef01" }
params = { query_modalities = ["image"], corpus_modalities = ["image"], skip_first_result = true }

[[benchmark]]
name = "Acme"
marker = "acme"
tasks = ["AcmeProductsT2IRetrieval"]
"""


def ids(result: pytest.RunResult) -> list[str]:
    return sorted(line.split("::")[-1] for line in result.outlines if "::" in line)


def test_user_suite_file_is_collected_by_path(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("acme.toml").write_text(USER_SUITE)
    result = pytester.runpytest(
        "acme.toml", "--mieb-model=acme/m", "--strict-markers", "--collect-only", "-q"
    )
    assert result.ret == pytest.ExitCode.OK
    assert ids(result) == ["AcmeLogosI2IRetrieval[acme/m]", "AcmeProductsT2IRetrieval[acme/m]"]


def test_user_markers_keywords_and_benchmarks_apply(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("acme.toml").write_text(USER_SUITE)
    by_marker = pytester.runpytest(
        "acme.toml", "--mieb-model=acme/m", "-m", "acme", "--collect-only", "-q"
    )
    assert ids(by_marker) == ["AcmeProductsT2IRetrieval[acme/m]"]
    by_keyword = pytester.runpytest(
        "acme.toml", "--mieb-model=acme/m", "-k", "retrieval", "--collect-only", "-q"
    )
    assert len(ids(by_keyword)) == 2
    by_bench = pytester.runpytest(
        "acme.toml", "--mieb-model=acme/m", "--mieb-benchmark", "Acme", "--collect-only", "-q"
    )
    assert ids(by_bench) == ["AcmeProductsT2IRetrieval[acme/m]"]


def test_configured_suites_dir_is_collected_alongside_the_packaged_suites(
    pytester: pytest.Pytester,
) -> None:
    pytester.mkdir("my_suites").joinpath("acme.toml").write_text(USER_SUITE)
    pytester.makeini("[pytest]\nmieb_suites = my_suites\n")
    result = pytester.runpytest(
        "--mieb-model=acme/m", "-m", "acme_private or mieb_lite", "--collect-only", "-q"
    )
    names = ids(result)
    assert "AcmeProductsT2IRetrieval[acme/m]" in names
    assert "AcmeLogosI2IRetrieval[acme/m]" in names
    assert len(names) == 51 + 2


def test_toml_files_outside_suite_dirs_are_not_collected(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("pyproject.toml").write_text("[project]\nname = 'x'\n")
    pytester.mkdir("conf").joinpath("tasks.toml").write_text(USER_SUITE)
    result = pytester.runpytest("--collect-only", "-q")
    assert ids(result) == []


def test_a_bad_suite_file_names_the_file_and_the_problem(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("bad.toml").write_text(
        '[[task]]\nname = "Broken"\ntype = "Any2AnyRetrieval"\nprotocol = "retrieval"\n'
        'main_score = "ndcg_at_10"\ndataset = { path = "acme/x" }\n'
    )
    result = pytester.runpytest("bad.toml", "--mieb-model=acme/m", "--collect-only")
    assert result.ret != pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        ["*bad.toml task 'Broken': dataset needs both `path` and a pinned `revision`*"]
    )


def test_unknown_protocol_is_rejected(pytester: pytest.Pytester) -> None:
    pytester.path.joinpath("bad.toml").write_text(
        USER_SUITE.replace('protocol = "retrieval"', 'protocol = "retrievl"')
    )
    result = pytester.runpytest("bad.toml", "--mieb-model=acme/m", "--collect-only")
    result.stdout.fnmatch_lines(["*unknown protocol 'retrievl'*"])
