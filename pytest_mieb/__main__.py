"""`python -m pytest_mieb COMMAND`: work on saved results and datasets without pytest.

Commands: `leaderboard RESULTS_DIR... [--out PATH] [--benchmark NAME]`,
`download --benchmark NAME DIR` (fill a local dataset mirror where the hub is reachable),
`list [--benchmark NAME]` (tasks and their types).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _list(args: argparse.Namespace) -> int:
    from pytest_mieb.suite import load_all_specs, load_benchmarks

    specs = load_all_specs()
    names = list(specs)
    if args.benchmark:
        benchmarks = load_benchmarks()
        if args.benchmark not in benchmarks:
            print(f"unknown benchmark {args.benchmark!r}; known: {', '.join(benchmarks)}")
            return 2
        names = list(benchmarks[args.benchmark].tasks)
    for name in names:
        print(f"{name}\t{specs[name].type}\t{specs[name].dataset}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytest_mieb", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="list tasks")
    listing.add_argument("--benchmark")
    listing.set_defaults(func=_list)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
