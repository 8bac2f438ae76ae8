"""Per-session state of the plugin: suite paths, loaded encoders, embedders and results.

One `MiebState` lives in `config.stash` and is registered as a plugin object so it also
receives report hooks (on the xdist controller, results arrive as `user_properties`). The
work of an item is `pytest_mieb.run.run_task`; this object holds what lasts across items
(encoders, embedders, the baseline) and records what each item gives pytest.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_mieb.data.ahead import prepare_in_background
from pytest_mieb.data.ahead import stop as stop_background
from pytest_mieb.plugin import api_usage
from pytest_mieb.plugin.failures import early_load_failure
from pytest_mieb.plugin.options import Settings, read_min_scores
from pytest_mieb.plugin.preload import (
    evaluator_libraries,
    import_evaluators,
    import_libraries,
    paused_then_frozen,
)
from pytest_mieb.run import RunConfig
from pytest_mieb.spare_time import drop_put_off_work, put_off
from pytest_mieb.tasks.index import load_benchmarks
from pytest_mieb.tasks.spec import TaskSpec
from pytest_mieb.tasks.suites import Benchmark, packaged_suites_dir

if TYPE_CHECKING:
    from pytest_mieb.plugin.not_applicable import CollectionReport

RESULT_PROPERTY = "mieb.result"
#: Where an encoder that no model id loaded comes from, for `validate_encoder`'s message.
FIXTURE_SOURCE = "the mieb_encoder fixture"


def record_result(record_property: Any, result: Any, reused: bool) -> None:
    """Scores as test properties: they reach JUnit XML and xdist's controller."""
    from pytest_mieb.results.files import result_to_json

    record_property("mieb.task", result.task_name)
    record_property("mieb.model", result.model_name)
    record_property("mieb.model_revision", result.model_revision)
    record_property("mieb.dataset_revision", result.dataset_revision)
    record_property("mieb.split", result.eval_split)
    record_property("mieb.main_score", result.main_score)
    record_property("mieb.limited", result.limited)
    record_property("mieb.reused", reused)
    record_property("mieb.evaluation_time", result.evaluation_time)
    for subset, metrics in result.scores.items():
        for metric, value in metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                # Plain floats: xdist's channel cannot carry numpy scalars.
                record_property(f"mieb.scores.{subset}.{metric}", float(value))
    record_property(RESULT_PROPERTY, json.dumps(result_to_json(result), allow_nan=False))


def encode_summary(embedder: Any) -> str:
    """One line on what reached the model, so 'each input encoded once' can be seen."""
    stats = embedder.stats
    counts = ", ".join(f"{n} {kind} inputs" for kind, n in stats.encoded.items() if n)
    return (
        f"{getattr(embedder.encoder, 'name', 'model')}: encoded {counts or 'nothing'}; "
        f"{stats.cache_hits} of {stats.requests} requests served from the embedding cache"
    )


class MiebState:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        from pytest_mieb.plugin.not_applicable import CollectionReport  # (it imports this)

        self.config = config
        self.settings = settings
        self._benchmarks: dict[str, Benchmark] | None = None
        self._encoders: dict[str, Any] = {}
        #: Model id -> name of the item whose load of it failed.
        self._load_failures: dict[str, str] = {}
        #: Model id -> the error of its load before the first item (`preload`), as
        #: `early_load_failure` keeps it; raised by the first item that asks for the model.
        self._preload_errors: dict[str, BaseException] = {}
        #: id(encoder) -> where it came from, for encoders that a model id loaded.
        self._sources: dict[int, str] = {}
        self._embedders: dict[int, Any] = {}
        #: id(encoder) -> the precision a model id was loaded in (its embedder autocasts so).
        self._precisions: dict[int, str] = {}
        #: id(encoder) -> the input kinds it takes (`pytest_mieb.models.modalities`).
        self._takes: dict[int, frozenset[str] | None] = {}
        #: model id -> (input kinds, tasks deselected as n/a at collection).
        self.not_applicable: dict[str, tuple[frozenset[str], list[TaskSpec]]] = {}
        #: What collection found about n/a tasks; on the xdist controller, a worker's report.
        self.collection = CollectionReport()
        self.worker_collection: CollectionReport | None = None
        self.encoder_loads: Counter[str] = Counter()
        self.records: list[str] = []
        self.run_config = run_config(settings, read_min_scores(config.rootpath))
        self._baseline: Any = None
        #: Whether a model may run items: --mieb-model, or an overridden mieb_encoder.
        self.model_given = False
        #: A conftest overrides the `mieb_encoder` fixture: models are not loaded by id early.
        self.encoder_overridden = False
        #: Markers MIEB items may carry, and those the project declares in its ini file.
        self.mieb_markers: set[str] = set()
        self.project_markers: set[str] = set()
        #: API models: the run id xdist workers share a request budget under, and usage.
        self.api_run_id = api_usage.configure(config, settings)
        self.api_usage = api_usage.Tally()
        #: The process preparing datasets ahead of their tasks (`preload`), if any.
        self._data_ahead: Any = None

    # -- suites --------------------------------------------------------------------
    def default_suite_paths(self) -> list[Path]:
        return [packaged_suites_dir(), *self.settings.suites]

    @property
    def benchmarks(self) -> dict[str, Benchmark]:
        if self._benchmarks is None:
            self._benchmarks = load_benchmarks(p for p in self.default_suite_paths() if p.exists())
        return self._benchmarks

    def benchmark_markers(self) -> set[str]:
        return {b.marker for b in self.benchmarks.values() if b.marker}

    def suite_marker_names(self) -> set[str]:
        """Markers that suite files give MIEB items: benchmarks' and user-suite tasks'."""
        from pytest_mieb.tasks.index import load_all_specs

        names = self.benchmark_markers()
        user_suites = [p for p in self.settings.suites if p.exists()]
        if user_suites:
            for spec in load_all_specs(user_suites).values():
                names.update(spec.markers)
        return names

    def may_hold_suites(self, path: Path, config: pytest.Config) -> bool:
        path = path.resolve()
        if any(path == d or d in path.parents for d in self.default_suite_paths()):
            return True
        base = config.invocation_params.dir
        explicit = {(base / a.split("::")[0]).resolve() for a in config.args}
        return path in explicit

    def markers_for(self, spec: TaskSpec, local: dict[str, Benchmark]) -> list[str]:
        marks = list(spec.markers)
        for bench in {**self.benchmarks, **local}.values():
            if bench.marker and spec.name in bench.tasks:
                marks.append(bench.marker)
        marks.extend(spec.keywords)
        return list(dict.fromkeys(marks))

    # -- models --------------------------------------------------------------------
    def encoder(self, model_id: str, item_name: str) -> Any:
        """Load `model_id` once per session (per xdist worker).

        A load that raises (anything: a `ModelLoadError`, CUDA out of memory, a bug in an
        adapter) fails the item that asked first with that error; the model's later items
        fail at once with a line pointing there, and nothing is loaded again. Only the
        item's name is kept, not the exception: its frames may hold a half-loaded model.
        """
        first = self._load_failures.get(model_id)
        if first is not None:
            pytest.fail(f"model {model_id} failed to load (see {first})", pytrace=False)
        preload_error = self._preload_errors.pop(model_id, None)
        if preload_error is not None:
            self._load_failures[model_id] = item_name
            raise preload_error
        if model_id not in self._encoders:
            try:
                self._keep(model_id, self._load(model_id))
            except Exception:
                self._load_failures[model_id] = item_name
                raise
        return self._encoders[model_id]

    def preload(self, items: list[Any]) -> None:
        """Before the first item: load the run's models and import what its task types
        need, so no task's time includes a model load or a library's import (one exception
        below). Meanwhile a background process prepares the tasks' datasets
        (`pytest_mieb.data.ahead`; not with ``--mieb-workers 0``) until the items start.

        The exception: when the session encodes images in forked processes (on the CPU,
        with workers), the evaluators' scikit-learn and scipy are imported not here but
        beside the first forked encoding, so the import and that encoding share the cores
        (`pytest_mieb.spare_time`); the first such task's time includes the overlap.

        A load that fails here fails, as before, the first item that asks for the model,
        with the same error (see `early_load_failure`). The automatic garbage collector is
        paused meanwhile: it would walk the growing heap of torch and transformers objects
        several times (seconds on a small machine) and find next to nothing to free; at the
        end what is alive is frozen out of its sight, before it resumes (`paused_then_frozen`).
        """
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        protocols = [item.spec.protocol for item in items]
        with paused_then_frozen():
            if self.settings.workers != 0:
                self._data_ahead = prepare_in_background(self._loads_ahead(items))
            for model_id in dict.fromkeys(item.mieb_model for item in items):
                if model_id in self._encoders or model_id in self._preload_errors:
                    continue
                if terminal is not None and self.config.get_verbosity() >= 0:
                    terminal.write_line(f"mieb: loading {model_id}")
                try:
                    self._keep(model_id, self._load(model_id))
                except Exception as exc:
                    self._preload_errors[model_id] = early_load_failure(exc)
            import_evaluators(protocols)
            libraries = evaluator_libraries(protocols)
            if self._encodes_in_forks():
                put_off(partial(import_libraries, libraries))
            else:
                import_libraries(libraries)
        if self._data_ahead is not None:
            self._data_ahead.finish_current_load()

    def _loads_ahead(self, items: list[Any]) -> list[Callable[[], object]]:
        """The data loads of the run's tasks, in the order they run, each task once; not
        the offline suite's (its datasets are generated in place at first use).

        They start before the models load, so they cannot leave out a task whose saved
        result the run will reuse, or whose model fails to load: opening a dataset that is
        prepared already costs the child little, and the core it runs on would be idle.
        """
        from pytest_mieb.data import load_task_data
        from pytest_mieb.run import LOCAL_MARKER

        config = self.run_config
        specs = {item.spec.name: item.spec for item in items}
        return [
            partial(load_task_data, spec, data_dir=config.data_dir, limit=config.limit)
            for spec in specs.values()
            if LOCAL_MARKER not in spec.markers
        ]

    def _encodes_in_forks(self) -> bool:
        """Whether this session's image batches can be encoded in forked processes: the
        embedders' rule (`pytest_mieb.embed.forked.encodes_in_forks`), with workers."""
        from pytest_mieb.embed.batches import default_num_workers
        from pytest_mieb.embed.forked import encodes_in_forks
        from pytest_mieb.runtime import resolve_device

        s = self.settings
        workers = default_num_workers() if s.workers is None else s.workers
        return workers > 0 and encodes_in_forks(resolve_device(s.device).split(":")[0])

    def _keep(self, model_id: str, encoder: Any) -> None:
        self._encoders[model_id] = encoder
        self._sources[id(encoder)] = f"model {model_id!r}"

    def _load(self, model_id: str) -> Any:
        """Through the `pytest_mieb_load_encoder` hook; the built-in registry answers last."""
        from pytest_mieb.models.defaults import run_precision
        from pytest_mieb.models.errors import ModelLoadError
        from pytest_mieb.runtime import resolve_device, xdist_worker_index

        s = self.settings
        device = resolve_device(s.device, xdist_worker_index())
        precision = run_precision(model_id, s.precision)
        self.encoder_loads[model_id] += 1
        encoder = self.config.hook.pytest_mieb_load_encoder(
            model_id=model_id, device=device, precision=precision, config=self.config
        )
        if encoder is None:
            raise ModelLoadError(f"no pytest_mieb_load_encoder implementation loaded {model_id!r}")
        self._precisions[id(encoder)] = precision
        return encoder

    def embedder(self, encoder: Any) -> Any:
        """The embedder of `encoder`, made once, after the encoder passed `validate_encoder`
        (the one door of every encoder: loaded by id, by a user's hook, or a fixture's)."""
        from pytest_mieb.embed.embedder import Embedder
        from pytest_mieb.models.validate import validate_encoder

        key = id(encoder)
        if key not in self._embedders:
            validate_encoder(encoder, self._sources.get(key, FIXTURE_SOURCE))
            s = self.settings
            self._embedders[key] = Embedder(
                encoder,
                batch_size=s.batch_size,
                num_workers=s.workers,
                precision=self._precisions.get(key, s.precision or "fp32"),
                cache_dir=s.cache_dir,
                progress=self._progress(),
            )
        return self._embedders[key]

    @property
    def embedders(self) -> list[Any]:
        """The embedders of this process (one per encoder), e.g. to read their `stats`."""
        return list(self._embedders.values())

    def _progress(self) -> Any:
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is None or hasattr(self.config, "workerinput"):
            return None
        from pytest_mieb.plugin.terminal import TerminalProgress

        return TerminalProgress(terminal)

    # -- running -------------------------------------------------------------------
    def run_item(self, item: Any, encoder: Any, record_property: Any) -> None:
        """Evaluate (or reuse a saved result), record, persist, then apply the gates."""
        with api_usage.recorded(record_property):
            outcome = self._run_task(item, encoder, record_property)
        failure = outcome.gate_failure()
        if failure is not None:
            raise failure

    def _run_task(self, item: Any, encoder: Any, record_property: Any) -> Any:
        from pytest_mieb.run import run_task

        model_name = str(getattr(encoder, "name", None) or item.mieb_model or "unnamed-model")
        self._skip_not_applicable(item.spec, encoder, model_name)
        return run_task(
            item.spec,
            lambda: self.embedder(encoder),
            self.run_config,
            model_name=model_name,
            revision=getattr(encoder, "revision", None),
            baseline=self.baseline,
            # Recorded before the file is written: the scores still reach the leaderboard
            # and JUnit XML when the write or a gate fails.
            on_result=lambda result, reused: record_result(record_property, result, reused),
        )

    def _skip_not_applicable(self, spec: TaskSpec, encoder: Any, model_name: str) -> None:
        """Skip ("n/a: ...") a task the loaded encoder cannot take; first, once per encoder,
        record what it takes in its results folder (``model_meta.json``, for leaderboards)."""
        from pytest_mieb.models.errors import ModelLoadError
        from pytest_mieb.models.modalities import encoder_modalities
        from pytest_mieb.models.validate import validate_encoder
        from pytest_mieb.results.model_meta import record_model_meta
        from pytest_mieb.tasks.modalities import not_applicable_reason

        key = id(encoder)
        if key not in self._takes:
            source = self._sources.get(key, FIXTURE_SOURCE)
            try:
                validate_encoder(encoder, source)
                self._takes[key] = encoder_modalities(encoder, source)
            except ModelLoadError:
                # Not a usable encoder: a failure where it is used (a saved result may still
                # be reused without it), never "n/a".
                self._takes[key] = None
            else:
                record_model_meta(
                    self.settings.results_dir,
                    model_name,
                    getattr(encoder, "revision", None),
                    self._takes[key],
                )
        takes = self._takes[key]
        similarity = getattr(encoder, "similarity", None)
        reason = (
            None if takes is None else not_applicable_reason(model_name, spec, takes, similarity)
        )
        if reason is not None:
            pytest.skip(reason)

    def baseline(self) -> Any:
        """The baseline results, loaded once per session (when a gate first needs them)."""
        if self._baseline is None:
            from pytest_mieb.run import load_run_baseline

            self._baseline = load_run_baseline(self.run_config)
        return self._baseline

    # -- reporting (runs on the xdist controller too) -------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        self.api_usage.add_report(report)
        for name, value in report.user_properties:
            if name == RESULT_PROPERTY:
                self.records.append(value)

    def pytest_terminal_summary(self, terminalreporter: Any, exitstatus: int) -> None:
        if hasattr(self.config, "workerinput"):  # xdist workers: no table
            return
        if self.worker_collection is not None:  # xdist controller: the workers' n/a lines
            self.collection = self.worker_collection
            for line in self.collection.lines:
                terminalreporter.write_line(line)
        if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
            hint = self.nothing_matched_hint()
            if hint:
                terminalreporter.write_line(hint, yellow=True)
        self._model_defaults(terminalreporter)
        self.api_usage.write(terminalreporter)
        if not self.records:
            return
        terminalreporter.section("MIEB leaderboard")
        try:
            self._summarise(terminalreporter)
        except Exception as exc:  # every item has run and written its file: say it, go on
            terminalreporter.write_line(
                f"MIEB summary failed: {type(exc).__name__}: {exc}", red=True
            )

    def _model_defaults(self, terminalreporter: Any) -> None:
        """Which published revision / recipe precision each model ran with, unasked."""
        from pytest_mieb.models.defaults import defaults_note

        notes = [defaults_note(m, self.settings.precision) for m in self.settings.models]
        for note in filter(None, notes):
            terminalreporter.write_line(f"pytest-mieb: {note}")

    def nothing_matched_hint(self) -> str | None:
        """Why `-m` naming a MIEB marker selected nothing, and what to do; None if it did not."""
        from pytest_mieb.plugin.triggers import names_in

        expression = self.config.getoption("markexpr", None) or ""
        named = names_in(expression) & self.mieb_markers
        if not named:
            return None
        theirs = sorted(n for n in named & self.project_markers if not n.startswith("mieb"))
        if theirs:
            return (
                f"pytest-mieb: this project declares the marker(s) {', '.join(theirs)} itself, "
                "so -m selects its own tests only; add --mieb-model=ID (or --mieb-tasks) to "
                "collect MIEB's tasks as well"
            )
        return (
            f"pytest-mieb: no MIEB task matched -m {expression!r}; `pytest --markers` lists "
            "the MIEB markers, `python -m pytest_mieb list` the tasks"
        )

    def _summarise(self, terminalreporter: Any) -> None:
        from pytest_mieb.plugin.terminal import (
            reference_deviations,
            results_from_records,
            summary_lines,
        )

        results = results_from_records(self.records)
        collected = self.collection
        for line, error in summary_lines(
            self.settings, results, collected.selected, collected.takes
        ):
            terminalreporter.write_line(line, red=error)
        terminalreporter.write_line(f"results in {self.settings.results_dir}")
        for embedder in self.embedders:
            terminalreporter.write_line(encode_summary(embedder))
        deviating = reference_deviations(self.settings, results)
        if deviating:
            terminalreporter.section("MIEB scores that deviate from published ones", yellow=True)
            terminalreporter.write_line(
                "check weights and preprocessing: a large gap often means unloaded weights"
            )
            for line in deviating:
                terminalreporter.write_line(line)

    def close(self) -> None:
        from pytest_mieb.models.api import settings as api_settings

        stop_background(self._data_ahead)
        drop_put_off_work()
        self._embedders.clear()
        self._encoders.clear()
        api_settings.forget()


def run_config(settings: Settings, min_scores: dict[str, Any]) -> RunConfig:
    """What `run_task` needs of the session's options."""
    return RunConfig(
        results_dir=settings.results_dir,
        data_dir=settings.data_dir,
        limit=settings.limit,
        overwrite=settings.overwrite,
        bootstrap=settings.bootstrap,
        baseline=settings.baseline,
        baseline_model=settings.baseline_model,
        max_drop=settings.max_drop,
        min_scores=min_scores,
    )


#: Where the session's `MiebState` lives in `config.stash`.
STATE = pytest.StashKey[MiebState]()
