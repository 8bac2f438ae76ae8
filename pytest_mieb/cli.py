"""`python -m pytest_mieb COMMAND`: work with tasks, saved results and datasets without pytest.

Commands:
  list [--benchmark NAME]                  tasks with their type and pinned dataset
  leaderboard RESULTS_DIR... [--out PATH]  render and merge saved results (runs, shards, models)
  download --benchmark NAME DIR            fill a local dataset mirror (needs the hub)
  scan DIR_OR_HUB [--benchmark NAME | --task NAME...]
                                           fidelity facts of each task's pinned data (a
                                           mirror DIR, or `hub`): EXIF orientation, alpha,
                                           modes, largest image, padded texts, repeated
                                           ids, extra configs
  published                                models whose published MIEB scores ship here
  run MODEL [TASK...] [--benchmark NAME]   score a model without pytest (same spine, same files)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_mieb.runtime import PRECISIONS

#: The exit status of a command whose reader went away (``... | head``), as if killed by SIGPIPE.
BROKEN_PIPE_STATUS = 141


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


def _scan(args: argparse.Namespace) -> int:
    import datasets

    from pytest_mieb.data.errors import DataError
    from pytest_mieb.data.scan import scan_source, task_subsets
    from pytest_mieb.data.source import open_source
    from pytest_mieb.data.task_dataset import dataset_of
    from pytest_mieb.tasks.index import load_all_specs

    datasets.disable_progress_bars()
    specs = load_all_specs()
    unknown = [t for t in args.task or () if t not in specs]
    if unknown:
        raise SystemExit(f"unknown task(s) {unknown}; see `python -m pytest_mieb list`")
    hub = args.source == "hub"
    subsets: dict[str, set[str]] = {}  # every task's subsets of a dataset are "read" configs
    for spec in specs.values():
        subsets.setdefault(str(dataset_of(spec)), set()).update(task_subsets(spec))
    seen: dict[str, str] = {}
    status = 0
    for name in args.task or _tasks(args.benchmark):
        spec = specs[name]
        ref = dataset_of(spec)
        if str(ref) not in seen:
            try:
                src = open_source(ref, data_dir=None if hub else args.source, hub_offline=not hub)
                seen[str(ref)] = scan_source(src, subsets[str(ref)]).summary()
            except DataError as exc:
                seen[str(ref)] = f"error: {exc}"
        status = status or int(seen[str(ref)].startswith("error: "))
        print(f"{name}\t{ref}\t{seen[str(ref)]}")
    return status


def _published(_: argparse.Namespace) -> int:
    from pytest_mieb.results.published import published_models

    print("\n".join(published_models()))
    return 0


def _run(args: argparse.Namespace) -> int:
    """``run``: each task through `pytest_mieb.run.run_task`, as a pytest item would go.

    A task that fails prints one line and the next task runs; the status is 1 when any did.
    """
    from pytest_mieb.embed.embedder import Embedder
    from pytest_mieb.hub import adopt, decide
    from pytest_mieb.models.defaults import run_precision
    from pytest_mieb.models.modalities import encoder_modalities
    from pytest_mieb.models.registry import load_encoder
    from pytest_mieb.models.validate import validate_encoder
    from pytest_mieb.results.model_meta import record_model_meta
    from pytest_mieb.run import RunConfig, run_task
    from pytest_mieb.tasks.index import load_all_specs
    from pytest_mieb.tasks.modalities import not_applicable_reason

    specs = load_all_specs()
    names = list(args.tasks) or (_tasks(args.benchmark) if args.benchmark else [])
    unknown = [name for name in names if name not in specs]
    if not names or unknown:
        what = f"unknown task(s): {', '.join(unknown)}" if unknown else "name tasks or --benchmark"
        print(f"pytest-mieb run: {what}", file=sys.stderr)
        return 2
    adopt(decide())
    precision = run_precision(args.model, args.precision)  # a published model: its recipe
    source = f"model {args.model!r}"
    try:
        encoder = validate_encoder(
            load_encoder(args.model, device=args.device, precision=precision), source
        )
        takes = encoder_modalities(encoder, source)
    except Exception as exc:  # one line: an unknown id, weights not reachable, a bad adapter
        print(f"pytest-mieb run: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    embedder = Embedder(encoder, batch_size=args.batch_size, precision=precision)
    config = RunConfig(results_dir=args.results_dir, data_dir=args.data_dir, limit=args.limit)
    model_name = str(getattr(encoder, "name", None) or args.model)
    revision = getattr(encoder, "revision", None)
    record_model_meta(config.results_dir, model_name, revision, takes)
    failed = skipped = 0
    for name in names:
        reason = not_applicable_reason(model_name, specs[name], takes, encoder.similarity)
        if reason is not None:  # neither run nor failed, as a pytest run skips it
            skipped += 1
            print(f"{name}\t{reason}")
            continue
        try:
            outcome = run_task(
                specs[name],
                embedder,
                config,
                model_name=model_name,
                revision=revision,
            )
        except Exception as exc:  # one task's failure never ends the run
            failed += 1
            print(f"{name}\tFAILED\t{type(exc).__name__}: {exc}")
            continue
        score = outcome.result.main_score
        note = " (saved result)" if outcome.reused else ""
        breach = outcome.gate_failure()
        if breach is not None:
            failed += 1
            note += f"\tGATE: {breach}"
        print(f"{name}\t{score:.4f}{note}")
    scored = len(names) - failed - skipped
    na = f", {skipped} n/a" if skipped else ""
    print(f"{scored} of {len(names)} task(s) scored{na}; results in {args.results_dir}")
    api_usage = sys.modules.get("pytest_mieb.models.api.usage")  # loaded by API models only
    for model, counts in sorted(api_usage.snapshot().items() if api_usage else ()):
        print(api_usage.describe(model, counts))
    return 1 if failed else 0


def _suite_definitions() -> tuple[dict[str, list[str]] | None, dict[str, str], dict[str, Any]]:
    """Benchmarks, task types and subsets from the packaged suites, when they load.

    Falls back to (None, {}, {}), i.e. to the packaged reference definitions.
    """
    from pytest_mieb.results.leaderboard import task_lists

    try:
        from pytest_mieb.tasks.index import load_all_specs, load_benchmarks
        from pytest_mieb.tasks.splits import scored_subsets

        specs = load_all_specs()
        benchmarks = task_lists(load_benchmarks())
    except (ImportError, ValueError, OSError):
        return None, {}, {}
    types = {name: spec.type for name, spec in specs.items()}
    subsets = {name: scored_subsets(spec) for name, spec in specs.items()}
    return benchmarks or None, types, subsets


def _leaderboard(argv: Sequence[str]) -> int:
    """``leaderboard``: print (and write) a table from result folders."""
    from pytest_mieb.results.aggregate import DUPLICATE_POLICIES
    from pytest_mieb.results.leaderboard import render_from_dirs

    parser = argparse.ArgumentParser(
        prog="pytest-mieb leaderboard", description="Aggregate result folders into a table."
    )
    parser.add_argument("dirs", nargs="+", help="result folders or files (shards, runs, models)")
    parser.add_argument(
        "-o", "--out", action="append", default=[], help="also write .md .csv .json .html .txt"
    )
    parser.add_argument("-b", "--benchmark", help="e.g. 'MIEB(lite)'; default: all tasks found")
    parser.add_argument("--on-duplicate", choices=DUPLICATE_POLICIES, default="newest")
    parser.add_argument(
        "--exclude-limited", action="store_true", help="leave out results of --mieb-limit runs"
    )
    parser.add_argument(
        "--published",
        action="append",
        default=[],
        metavar="MODEL",
        help="add a model's published scores as a column (repeatable)",
    )
    args = parser.parse_args(argv)
    benchmarks, task_types, task_subsets = _suite_definitions()
    try:
        text = render_from_dirs(
            args.dirs,
            out=args.out,
            benchmark=args.benchmark,
            benchmarks=benchmarks,
            task_types=task_types or None,
            task_subsets=task_subsets or None,
            on_duplicate=args.on_duplicate,
            include_limited=not args.exclude_limited,
            published=args.published,
        )
    except (KeyError, ValueError, FileNotFoundError) as error:
        print(f"pytest-mieb leaderboard: {error}", file=sys.stderr)
        return 2
    print(text)
    return 0


def _command(argv: list[str]) -> int:
    if argv[:1] == ["leaderboard"]:
        return _leaderboard(argv[1:])
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
    scan = commands.add_parser("scan", help="fidelity facts of the tasks' pinned data")
    scan.add_argument("source", metavar="DIR_OR_HUB")
    scan.add_argument("--benchmark")
    scan.add_argument("--task", action="append", help="only this task (repeatable)")
    scan.set_defaults(func=_scan)
    commands.add_parser("leaderboard", help="render saved results (see leaderboard --help)")
    commands.add_parser("published", help="models with published scores").set_defaults(
        func=_published
    )
    scoring = commands.add_parser("run", help="score a model without pytest")
    scoring.add_argument("model", help="a model id, as --mieb-model takes it")
    scoring.add_argument("tasks", nargs="*", help="task names (see `list`)")
    scoring.add_argument("--benchmark", help="all tasks of a benchmark, e.g. 'MIEB(lite)'")
    scoring.add_argument("--results-dir", type=Path, default=Path("mieb-results"))
    scoring.add_argument("--data-dir", type=Path, help="a local dataset mirror (see download)")
    scoring.add_argument("--limit", type=int, help="at most this many rows per split")
    scoring.add_argument("--device", help="cpu, cuda, cuda:N (default: cuda when present)")
    scoring.add_argument(
        "--precision", choices=PRECISIONS, help="default: a published model's recipe, else fp32"
    )
    scoring.add_argument("--batch-size", type=int, default=32)
    scoring.set_defaults(func=_run)
    args = parser.parse_args(argv)
    return int(args.func(args))


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a reader that closes our stdout early (``| head``) ends it quietly."""
    try:
        status = _command(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return BROKEN_PIPE_STATUS
    return status


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush at exit finds no closed
    pipe (it would print a second traceback)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        with contextlib.suppress(OSError, ValueError):  # stdout without a file descriptor
            os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
