"""Cost of the results side: writing/reading result files and building a full leaderboard."""

from __future__ import annotations

from pytest_mieb.results import published as reference
from pytest_mieb.results.aggregate import build_leaderboard, custom_groups_for
from pytest_mieb.results.files import iter_results, write_result
from pytest_mieb.results.html_page import render_html
from pytest_mieb.tasks.shards import assign_shards


def _all_published():
    return [r for m in reference.published_models() for r in reference.published_results(m)]


def test_leaderboard_of_all_published_models(benchmark) -> None:
    results = _all_published()
    benchmarks = reference.benchmark_tasks()

    def build() -> str:
        board = build_leaderboard(
            results,
            tasks=benchmarks["MIEB(Multilingual)"],
            benchmark="MIEB(Multilingual)",
            custom_groups=custom_groups_for("MIEB(Multilingual)", benchmarks),
        )
        return render_html(board)

    assert "<svg" in benchmark(build)


def test_write_and_read_back_130_result_files(benchmark, tmp_path) -> None:
    results = reference.published_results("openai/clip-vit-base-patch16")

    def round_trip() -> int:
        for result in results:
            write_result(result, tmp_path)
        return sum(1 for _ in iter_results(tmp_path))

    assert benchmark(round_trip) == 130


def test_shard_130_tasks(benchmark) -> None:
    tasks = reference.task_order()
    durations = reference.estimated_durations()
    shards = benchmark(assign_shards, tasks, 8, durations)
    assert sum(map(len, shards)) == 130
