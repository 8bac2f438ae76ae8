"""`python -m pytest_mieb COMMAND`: work with tasks, saved results and datasets without pytest.

Commands:
  list [--benchmark NAME]                  tasks with their type and pinned dataset
  leaderboard RESULTS_DIR... [--out PATH]  render and merge saved results (runs, shards, models)
  download --benchmark NAME DIR            fill a local dataset mirror (needs the hub)
  published                                models whose published MIEB scores ship here
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _tasks(benchmark: str | None) -> list[str]:
    from pytest_mieb.tasks.index import load_all_specs, load_benchmarks

    if benchmark is None:
        return list(load_all_specs())
    benchmarks = load_benchmarks()
    if benchmark not in benchmarks:
        raise SystemExit(f"unknown benchmark {benchmark!r}; known: {', '.join(benchmarks)}")
    return list(benchmarks[benchmark].tasks)


def _list(args: argparse.Namespace) -> int:
    from pytest_mieb.tasks.index import load_all_specs

    specs = load_all_specs()
    for name in _tasks(args.benchmark):
        print(f"{name}\t{specs[name].type}\t{specs[name].dataset}")
    return 0


def _download(args: argparse.Namespace) -> int:
    from pytest_mieb.data.download import download
    from pytest_mieb.data.errors import DataError
    from pytest_mieb.tasks.index import load_all_specs

    specs = load_all_specs()
    chosen = [specs[name] for name in _tasks(args.benchmark)]
    try:
        written = download(chosen, args.dir, progress=print)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{len(written)} dataset(s) mirrored under {args.dir}")
    return 0


def _published(_: argparse.Namespace) -> int:
    from pytest_mieb.results.published import published_models

    print("\n".join(published_models()))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["leaderboard"]:
        from pytest_mieb.results.leaderboard import render_leaderboard_cli

        return render_leaderboard_cli(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m pytest_mieb",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="list tasks")
    listing.add_argument("--benchmark")
    listing.set_defaults(func=_list)
    fetch = commands.add_parser("download", help="fill a local dataset mirror")
    fetch.add_argument("--benchmark", required=True)
    fetch.add_argument("dir")
    fetch.set_defaults(func=_download)
    commands.add_parser("leaderboard", help="render saved results (see leaderboard --help)")
    commands.add_parser("published", help="models with published scores").set_defaults(
        func=_published
    )
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
