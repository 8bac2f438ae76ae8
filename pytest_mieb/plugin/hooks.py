"""pytest hooks and fixtures of pytest-mieb: options, markers, collection, fixtures, reports.

Only glue lives here: tasks are data (`tasks/`), models come from `models/` (through this
plugin's own `trylast` implementation of `pytest_mieb_load_encoder`), and each item's work,
from data to result file and gates, is `pytest_mieb.run.run_task`. Under pytest-xdist the
controller decides hub access once and hands it to the workers (`pytest_mieb.hub`).
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from pytest_mieb.plugin.collection import MiebItem, SuiteFile
from pytest_mieb.plugin.not_applicable import WORKEROUTPUT_KEY as NA_WORKEROUTPUT_KEY
from pytest_mieb.plugin.not_applicable import (
    CollectionReport,
    deselect_not_applicable,
    selected_tasks,
)
from pytest_mieb.plugin.options import Settings, add_options, read_settings
from pytest_mieb.plugin.session import STATE, MiebState
from pytest_mieb.tasks.suites import is_suite_document, read_toml
from pytest_mieb.tasks.types import MARKERS

NO_MODEL_REASON = (
    "no model given: pass --mieb-model=ID (e.g. --mieb-model=baseline/pixels) "
    "or override the mieb_encoder fixture in your conftest.py"
)
#: `-m` turned the suites on, but no model would run them: a CI gate must not pass empty.
NO_MODEL_FOR_MARKERS = (
    "pytest-mieb: -m {expression!r} selects MIEB tasks, but no model is given, so nothing "
    "would be measured; "
    + NO_MODEL_REASON.removeprefix("no model given: ")
    + " (--collect-only lists the tasks without a model)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_mieb.plugin import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | pytest.ExitCode | None:
    """`--mieb-data-dir DIR` and friends, two tokens with an existing path: run again as
    `--mieb-data-dir=DIR`, so that they cannot move the rootdir (see `pytest_mieb.plugin.argv`)."""
    if hasattr(config, "workerinput"):  # an xdist worker gets the controller's arguments
        return None
    from pytest_mieb.plugin import argv
    from pytest_mieb.plugin.options import value_options

    params = config.invocation_params
    args = [str(a) for a in params.args]
    addopts = os.environ.get(argv.ADDOPTS, "")
    plan = argv.rewritten(args, addopts, value_options(), params.dir)
    if plan is None:
        return None
    new_args, new_addopts = plan
    with argv.rerunning((tuple(new_args), new_addopts)) as fresh:
        if not fresh:
            return None
        with argv.addopts_set_to(new_addopts):
            return pytest.main(new_args, plugins=list(params.plugins or ()))


def pytest_configure(config: pytest.Config) -> None:
    from pytest_mieb.plugin import triggers

    declared = triggers.declared_markers(config.getini("markers"))  # before ours join them
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    settings = read_settings(config)
    _validate(settings)
    _check_model_ids(config, settings)
    state = MiebState(config, settings)
    state.project_markers = declared
    config.stash[STATE] = state
    config.pluginmanager.register(state, "mieb-state")
    for marker in state.benchmark_markers():
        if marker not in MARKERS:
            config.addinivalue_line("markers", f"{marker}: benchmark defined in a suite file")
    expression = config.getoption("markexpr", None) or ""
    state.mieb_markers = set(MARKERS) | state.suite_marker_names()
    named = expression and triggers.mieb_markers_named(expression, state.mieb_markers, declared)
    ours = sys.modules[__name__]
    overridden = triggers.encoder_overridden(config.pluginmanager.get_plugins(), ours)
    state.model_given = bool(settings.models) or overridden
    state.encoder_overridden = overridden
    if named and not state.model_given and not config.getoption("collectonly"):
        raise pytest.UsageError(NO_MODEL_FOR_MARKERS.format(expression=expression))
    _adopt_hub_decision(config)
    if settings.requested or named:
        extra = [str(p) for p in _suites_to_add(config, state)]
        if extra and config.args_source == pytest.Config.ArgsSource.TESTPATHS:
            # `pytest --mieb-model=M` in a project with testpaths: run MIEB, not its tests.
            config.args[:] = extra
        else:
            config.args.extend(extra)
    elif config.args_source != pytest.Config.ArgsSource.ARGS and overridden:
        # The project hands in its own model: MIEB joins its tests (a plain `pytest` of a
        # training project still runs the project's tests); named paths are left as named.
        config.args.extend(str(p) for p in _suites_to_add(config, state))


def _adopt_hub_decision(config: pytest.Config) -> None:
    """An xdist worker takes the controller's hub decision instead of probing itself."""
    from pytest_mieb import hub

    wire = getattr(config, "workerinput", {}).get(hub.WORKERINPUT_KEY)
    if wire is not None:
        hub.adopt(hub.HubAccess.from_wire(wire))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist controller: decide hub access once, for every worker (only when a model
    may run: a plain `pytest -n 4` of a project's own tests probes nothing)."""
    state = node.config.stash.get(STATE, None)
    if state is None or not state.model_given:
        return
    from pytest_mieb import hub

    node.workerinput[hub.WORKERINPUT_KEY] = hub.decide(warn=False).to_wire()
    from pytest_mieb.plugin.api_usage import WORKERINPUT_KEY as API_RUN

    node.workerinput[API_RUN] = state.api_run_id  # workers share one API request budget


@pytest.hookimpl(trylast=True)
def pytest_mieb_load_encoder(
    model_id: str, device: str | None, precision: str, config: pytest.Config
) -> Any:
    """The built-in loading of every id form of the README (`pytest_mieb.models.load_encoder`),
    an ordinary implementation of the hook that runs last, so a conftest can answer first,
    wrap it or replace it."""
    from pytest_mieb.models import load_encoder

    trust = config.stash[STATE].settings.trust_remote_code
    return load_encoder(model_id, device=device, precision=precision, trust_remote_code=trust)


def _validate(settings: Settings) -> None:
    """Bad values of the gate and shard options are usage errors, found before any work."""
    from pytest_mieb.results.gates import parse_max_drop
    from pytest_mieb.tasks.shards import parse_shard

    try:
        parse_max_drop(settings.max_drop)
        if settings.shard:
            parse_shard(settings.shard)
        if settings.reference:
            from pytest_mieb.results.published import published_models

            if settings.reference not in published_models():
                raise ValueError(
                    f"--mieb-reference: no published scores for {settings.reference!r}; "
                    "`python -m pytest_mieb published` lists the models that have them"
                )
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def _check_model_ids(config: pytest.Config, settings: Settings) -> None:
    """An id of no accepted form is a usage error, found before any work.

    Skipped when a plugin or conftest implements `pytest_mieb_load_encoder` besides ours: it
    may accept ids of its own forms, so those are judged when the model is loaded.
    """
    ours = sys.modules[__name__]
    impls = config.hook.pytest_mieb_load_encoder.get_hookimpls()
    if not settings.models or any(impl.plugin is not ours for impl in impls):
        return
    from pytest_mieb.models.errors import ModelLoadError
    from pytest_mieb.models.id_forms import parse_model_id

    for model_id in settings.models:
        try:
            parse_model_id(model_id)
        except ModelLoadError as exc:
            raise pytest.UsageError(f"--mieb-model: {exc}") from None


def _suites_to_add(config: pytest.Config, state: MiebState) -> list[Path]:
    """Suite paths to collect besides the given args: none if the args pick suites."""
    base = config.invocation_params.dir
    args = [(base / a.split("::")[0]).resolve() for a in config.args]
    defaults = state.default_suite_paths()
    for path in args:
        if path.suffix == ".toml" or any(path == d or d in path.parents for d in defaults):
            return []
    return [d for d in defaults if not any(a == d or a in d.parents for a in args)]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> SuiteFile | None:
    if file_path.suffix != ".toml":
        return None
    state = parent.config.stash[STATE]
    if not state.may_hold_suites(file_path, parent.config):
        return None
    if not is_suite_document(read_toml(file_path.resolve())):
        return None
    return SuiteFile.from_parent(parent, path=file_path)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    settings: Settings = config.stash[STATE].settings
    mieb_items = [i for i in items if isinstance(i, MiebItem)]
    known = {i.spec.name for i in mieb_items}
    wanted: set[str] | None = None
    if settings.benchmarks:
        benchmarks = config.stash[STATE].benchmarks
        wanted = set()
        for name in settings.benchmarks:
            if name not in benchmarks:
                raise pytest.UsageError(
                    f"unknown benchmark {name!r}; known: {', '.join(sorted(benchmarks))}"
                )
            wanted.update(benchmarks[name].tasks)
    if settings.tasks:
        unknown = [t for t in settings.tasks if t not in known]
        if unknown and mieb_items:
            hints = {t: difflib.get_close_matches(t, known, n=3) for t in unknown}
            text = "; ".join(
                f"{t} (did you mean {', '.join(h)}?)" if h else t for t, h in hints.items()
            )
            raise pytest.UsageError(f"unknown task name(s) in --mieb-tasks: {text}")
        wanted = set(settings.tasks) if wanted is None else wanted & set(settings.tasks)
    if settings.shard:
        from pytest_mieb.tasks.shards import select_shard

        candidates = sorted(
            {i.spec.name for i in mieb_items if wanted is None or i.spec.name in wanted}
        )
        wanted = set(select_shard(candidates, settings.shard))
    if wanted is not None:
        keep = [i for i in items if not isinstance(i, MiebItem) or i.spec.name in wanted]
        dropped = [i for i in items if isinstance(i, MiebItem) and i.spec.name not in wanted]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = keep


@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
def pytest_collection_modifyitems_na(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Last, after -m / -k: the n/a count is of the items the run would otherwise hold.
    An xdist worker hands its report to the controller (`plugin.not_applicable`)."""
    state = config.stash[STATE]
    selected = selected_tasks(items)
    state.not_applicable = deselect_not_applicable(config, items)
    state.collection = CollectionReport.of(state.not_applicable, selected, state.settings.show_na)
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[NA_WORKEROUTPUT_KEY] = state.collection.to_wire()


def pytest_report_collectionfinish(config: pytest.Config) -> list[str]:
    """One line per model whose n/a tasks were deselected (their list with --mieb-show-na)."""
    return config.stash[STATE].collection.lines


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist controller: take the n/a report of the first worker that finishes (all
    workers collect the same items); the terminal summary prints its lines."""
    state = node.config.stash.get(STATE, None)
    wire = (getattr(node, "workeroutput", None) or {}).get(NA_WORKEROUTPUT_KEY)
    if state is not None and wire is not None and state.worker_collection is None:
        state.worker_collection = CollectionReport.from_wire(wire)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Known error kinds of a MIEB item report as their one line, not a traceback."""
    report = yield
    if isinstance(item, MiebItem) and report.failed and call.excinfo is not None:
        from pytest_mieb.plugin.failures import EarlyLoadFailure, one_line

        error = call.excinfo.value
        line = error.report if isinstance(error, EarlyLoadFailure) else one_line(error)
        if line is not None:
            report.longrepr = line
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    """Models are loaded before the first item (see `MiebState.preload`); not by xdist
    workers, which learn their items one by one and load a model at its first item."""
    config = session.config
    state = config.stash.get(STATE, None)
    runs_items = not (config.option.collectonly or config.option.setuponly)
    by_id = state is not None and not state.encoder_overridden
    if by_id and runs_items and not hasattr(config, "workerinput"):
        items = [i for i in session.items if isinstance(i, MiebItem) and i.mieb_model]
        state.preload(items)
    return (yield)


@pytest.fixture
def mieb_encoder(request: pytest.FixtureRequest) -> Any:
    """The model under evaluation, loaded once per session and shared by every item.

    Override this fixture in a conftest.py to evaluate a model object you already hold
    (for example the checkpoint a training job just produced).
    """
    model = getattr(request.node, "mieb_model", None)
    if model is None:
        pytest.skip(NO_MODEL_REASON)
    return request.config.stash[STATE].encoder(model, request.node.name)


def pytest_unconfigure(config: pytest.Config) -> None:
    # After the terminal summary, which still reads the embedders' statistics.
    state = config.stash.get(STATE, None)
    if state is not None:
        state.close()
