"""Leaderboard outputs: terminal, Markdown, CSV, JSON and HTML carry the expected numbers."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from pytest_mieb.cli import main as cli_main
from pytest_mieb.results.aggregate import Leaderboard, build_leaderboard, load_results
from pytest_mieb.results.files import TaskResult, write_result
from pytest_mieb.results.html_page import render_html
from pytest_mieb.results.leaderboard import render_from_dirs, write_leaderboard
from pytest_mieb.results.render import render_text, table_rows

TYPES = {"C1": "ImageClassification", "C2": "ImageClassification", "Z1": "ZeroShotClassification"}
SCORES = {
    "org/alpha": {"C1": 0.81234, "C2": 0.6, "Z1": 0.3},  # types .706170 / .3 -> mean .503085
    "org/beta": {"C1": 0.5, "C2": 0.5, "Z1": 0.9},  # types .5 / .9 -> mean .7
    "org/gamma": {"C1": 0.7},  # incomplete
}


@pytest.fixture
def results_dir(tmp_path):
    for model, scores in SCORES.items():
        for task, score in scores.items():
            write_result(
                TaskResult(
                    task_name=task,
                    scores={"default": {"accuracy": score, "main_score": score}},
                    model_name=model,
                    model_revision="r1",
                    task_type=TYPES[task],
                    main_score_name="accuracy",
                ),
                tmp_path / "results",
            )
    return tmp_path / "results"


def build(results_dir) -> Leaderboard:
    return build_leaderboard(load_results(results_dir), tasks=list(TYPES), benchmark="mini")


def test_table_rows_hold_ranks_and_points(results_dir) -> None:
    header, rows = table_rows(build(results_dir))
    assert header == ["Type", "Task", "org/beta", "org/alpha", "org/gamma"]
    by_label = {row[1]: row[2:] for row in rows}
    assert by_label["Rank"] == [1, 2, 3]
    assert by_label["Mean (TaskType)"] == [70.0, 50.31, None]
    assert by_label["C1"] == [50.0, 81.23, 70.0]
    assert by_label["Z1"] == [90.0, 30.0, None]
    type_rows = [row for row in rows if row[1] == "Mean (2 tasks)"]
    assert type_rows == [["ImageClassification", "Mean (2 tasks)", 50.0, 70.62, None]]


def test_terminal_table_shows_two_decimals_and_dashes(results_dir) -> None:
    text = render_text(build(results_dir))
    assert text.splitlines()[0] == "mini: 3 tasks, 3 model(s)"
    mean_line = next(line for line in text.splitlines() if "Mean (TaskType)" in line)
    assert re.search(r"70\.00\s+50\.31\s+-\s*$", mean_line)
    assert "81.23" in text and "Rank (Borda)" in text


def test_files_by_extension_contain_the_numbers(results_dir, tmp_path) -> None:
    outs = [tmp_path / "board" / f"lb.{ext}" for ext in ("md", "csv", "json", "html")]
    text = render_from_dirs(results_dir, out=outs, benchmark="mini", tasks=list(TYPES))
    assert "70.00" in text

    markdown = outs[0].read_text()
    assert "| Mean (TaskType)" in markdown and "70.00" in markdown and "|--" in markdown

    rows = list(csv.reader(io.StringIO(outs[1].read_text())))
    assert rows[0] == ["Type", "Task", "org/beta", "org/alpha", "org/gamma"]
    assert ["", "Mean (TaskType)", "70.00", "50.31", ""] in rows
    assert ["ImageClassification", "C1", "50.00", "81.23", "70.00"] in rows

    data = json.loads(outs[2].read_text())
    beta, alpha, gamma = data["models"]
    assert beta["label"] == "org/beta" and beta["rank"] == 1
    assert alpha["mean_task_type"] == pytest.approx(0.503085)
    assert alpha["task_scores"]["C1"] == 0.81234
    assert gamma["mean_task_type"] is None and gamma["task_scores"]["Z1"] is None
    assert data["tasks"][0] == {"task": "C1", "type": "ImageClassification"}

    page = outs[3].read_text()
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "<svg" in page
    assert "<script" not in page and "src=" not in page and "<link" not in page
    assert "70.00" in page and "81.23" in page
    assert page.count("<rect") >= 2 * 3  # per-type and overall bars for the complete models


def test_html_escapes_model_names(tmp_path) -> None:
    result = TaskResult(task_name="C1", scores={"default": {"main_score": 0.5}}, model_name="<b>")
    board = build_leaderboard([result], tasks=["C1"], task_types=TYPES)
    page = render_html(board)
    assert "<b>" not in page and "&lt;b&gt;" in page


def test_unknown_extension_is_refused(results_dir, tmp_path) -> None:
    with pytest.raises(ValueError, match=r"unknown leaderboard format '\.xlsx'"):
        write_leaderboard(build(results_dir), tmp_path / "lb.xlsx")


def test_published_scores_can_be_added_as_a_column(results_dir) -> None:
    text = render_from_dirs(
        results_dir, published=["openai/clip-vit-base-patch16"], tasks=["CIFAR10"]
    )
    assert "openai/clip-vit-base-patch16 (published)" in text
    assert "CIFAR10" in text


def test_benchmark_task_list_comes_from_the_given_definitions(results_dir) -> None:
    text = render_from_dirs(results_dir, benchmark="two", benchmarks={"two": ["C1", "Z1"]})
    assert text.splitlines()[0] == "two: 2 tasks, 3 model(s)"
    with pytest.raises(KeyError, match="unknown benchmark"):
        render_from_dirs(results_dir, benchmark="nope", benchmarks={"two": ["C1"]})


def test_cli_prints_the_table_and_writes_files(results_dir, tmp_path, capsys) -> None:
    out = tmp_path / "cli.csv"
    assert cli_main(["leaderboard", str(results_dir), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Mean (TaskType)" in printed and "org/beta" in printed
    assert "81.23" in out.read_text()
    assert cli_main(["leaderboard", str(tmp_path / "missing")]) == 2
    assert "no results file or folder" in capsys.readouterr().err


@pytest.mark.parametrize("undefined", [float("nan"), float("inf"), None])
def test_undefined_scores_are_missing_and_the_json_stays_strict(tmp_path, undefined) -> None:
    results = [
        TaskResult(task_name="C1", scores={"default": {"main_score": undefined}}, model_name="m"),
        TaskResult(task_name="C2", scores={"default": {"main_score": 0.5}}, model_name="m"),
    ]
    board = build_leaderboard(results, tasks=["C1", "C2"], task_types=TYPES)
    out = write_leaderboard(board, tmp_path / "lb.json")

    def refuse(token: str) -> None:
        raise ValueError(token)

    (model,) = json.loads(out.read_text(), parse_constant=refuse)["models"]
    assert model["task_scores"] == {"C1": None, "C2": 0.5}
    assert model["mean_task_type"] is None
    assert re.search(r"C1\s+-\s*$", render_text(board), re.MULTILINE)
