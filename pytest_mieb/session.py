"""Per-session state of the plugin: suite paths, loaded encoders, embedders and results.

One `MiebState` lives in `config.stash` and is registered as a plugin object so it also
receives report hooks (on the xdist controller, results arrive as `user_properties`).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pytest_mieb.options import Settings
from pytest_mieb.suite import Benchmark, load_benchmarks, packaged_suites_dir
from pytest_mieb.task import TaskSpec

RESULT_PROPERTY = "mieb.result"


def xdist_worker_index() -> int | None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else None


class MiebState:
    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self._benchmarks: dict[str, Benchmark] | None = None
        self._encoders: dict[str, Any] = {}
        self._embedders: dict[int, Any] = {}
        self.encoder_loads: Counter[str] = Counter()
        self.results: list[dict[str, Any]] = []

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
    def encoder(self, model_id: str) -> Any:
        """Load `model_id` once per session; a failed load fails every item the same way."""
        if model_id not in self._encoders:
            self._encoders[model_id] = self._load(model_id)
        loaded = self._encoders[model_id]
        if isinstance(loaded, Exception):
            pytest.fail(f"{type(loaded).__name__}: {loaded}", pytrace=False)
        return loaded

    def _load(self, model_id: str) -> Any:
        from pytest_mieb.models import ModelLoadError, load_encoder, resolve_device

        s = self.settings
        device = resolve_device(s.device, xdist_worker_index())
        self.encoder_loads[model_id] += 1
        try:
            custom = self.config.hook.pytest_mieb_load_encoder(
                model_id=model_id, device=device, precision=s.precision
            )
            if custom is not None:
                return custom
            return load_encoder(
                model_id,
                device=device,
                precision=s.precision,
                trust_remote_code=s.trust_remote_code,
            )
        except ModelLoadError as exc:
            return exc

    def embedder(self, encoder: Any) -> Any:
        from pytest_mieb.embed import Embedder

        key = id(encoder)
        if key not in self._embedders:
            s = self.settings
            self._embedders[key] = Embedder(
                encoder,
                batch_size=s.batch_size,
                num_workers=s.workers,
                precision=s.precision,
                cache_dir=s.cache_dir,
            )
        return self._embedders[key]

    # -- running -------------------------------------------------------------------
    def data_dir_for(self, spec: TaskSpec) -> Path | None:
        if "mieb_local" not in spec.markers:
            return self.settings.data_dir
        from pytest_mieb.data import materialize_local_datasets

        root = self.settings.data_dir or local_data_root()
        materialize_local_datasets(root)
        return root

    def run_item(self, item: Any, encoder: Any, record_property: Any) -> None:
        from pytest_mieb.runner import evaluate_task

        spec: TaskSpec = item.spec
        scores = evaluate_task(
            spec,
            self.embedder(encoder),
            data_dir=self.data_dir_for(spec),
            limit=self.settings.limit,
        )
        record = {
            "task": spec.name,
            "type": spec.type,
            "model": getattr(encoder, "name", item.mieb_model or "unnamed-model"),
            "model_revision": getattr(encoder, "revision", "no_revision_available"),
            "dataset_revision": spec.dataset.revision,
            "split": spec.eval_split,
            "limit": self.settings.limit,
            "main_score": scores.main_score,
            "evaluation_time": scores.evaluation_time,
            "scores": scores.subsets,
        }
        for key in ("task", "model", "model_revision", "dataset_revision", "split", "main_score"):
            record_property(f"mieb.{key}", record[key])
        record_property("mieb.limited", record["limit"] is not None)
        record_property("mieb.evaluation_time", round(record["evaluation_time"], 3))
        for subset, metrics in scores.subsets.items():
            for metric, value in metrics.items():
                record_property(f"mieb.scores.{subset}.{metric}", value)
        record_property(RESULT_PROPERTY, json.dumps(record))

    # -- reporting (runs on the xdist controller too) -------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        for name, value in report.user_properties:
            if name == RESULT_PROPERTY:
                self.results.append(json.loads(value))

    def close(self) -> None:
        self._embedders.clear()
        self._encoders.clear()


def local_data_root() -> Path:
    """Where the offline suite's generated datasets live when no --mieb-data-dir is given."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "pytest-mieb" / "local-datasets"
