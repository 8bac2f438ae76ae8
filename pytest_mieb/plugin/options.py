"""Command-line and ini options of the `mieb` group, read once into frozen `Settings`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_mieb.runtime import PRECISIONS

# (name, help, kwargs for addoption, ini type or None when not an ini option)
_OPTIONS: list[tuple[str, str, dict[str, Any], str | None]] = [
    ("model", "model to evaluate: a hub id (org/name[@revision]), a local checkpoint directory, "
     "open_clip:ARCH/PRETRAINED, hf-hub:org/name, baseline/pixels, baseline/random, "
     "api:voyage|cohere|gemini/MODEL, or package.module:factory; repeat for several models",
     {"action": "append"}, "linelist"),
    ("benchmark", "run the tasks of a benchmark by its mteb name, e.g. \"MIEB(lite)\"",
     {"action": "append"}, None),
    ("tasks", "comma-separated task names to run", {"action": "append"}, None),
    ("batch-size", "inputs per model call (default 32; halved on out-of-memory)",
     {"type": int}, "string"),
    ("device", "torch device (default: cuda when available, else cpu)", {}, "string"),
    ("precision", "model precision on CUDA; fp16/bf16 cast weights, fp16-mixed/bf16-mixed "
     "autocast fp32 weights (default: a published model's recipe, else fp32; CPU: fp32)",
     {"choices": PRECISIONS}, "string"),
    ("results-dir", "where result JSON files go, in mteb's layout (default: mieb-results)",
     {}, "string"),
    ("data-dir", "local mirror of hub datasets: org/name is read from DIR/org/name", {}, "string"),
    ("limit", "smoke run: a deterministic, stratified sample of at most N items per split",
     {"type": int}, "string"),
    ("cache-dir", "on-disk embedding cache shared by runs and xdist workers", {}, "string"),
    ("api-max-requests", "at most N HTTP requests to embedding APIs in this run, retries "
     "included, all xdist workers together (default: MIEB_API_MAX_REQUESTS, else no limit)",
     {"type": int}, "string"),
    ("workers", "worker processes for images: they decode (GPU) or decode and encode (CPU); "
     "0: none, nor the datasets' background preparation; default: CPUs - 1",
     {"type": int}, "string"),
    ("trust-remote-code", "allow models that need remote code",
     {"action": "store_true", "default": None}, "bool"),
    ("overwrite", "recompute tasks whose result file already exists",
     {"action": "store_true", "default": None}, "bool"),
    ("show-na", "list the tasks deselected as n/a for a model (inputs it cannot take)",
     {"action": "store_true", "default": None}, "bool"),
    ("leaderboard", "also write the leaderboard to PATH (.md, .csv, .json or .html)", {}, "string"),
    ("reference", "add a published model's scores as a reference column (default: the "
     "evaluated models that have published scores)", {}, "string"),
    ("reference-threshold", "how far (0-1 scale) a score may stray from the published one "
     "before it is flagged (default 0.02)", {"type": float}, "string"),
    ("baseline", "results folder or file to compare with; a drop beyond --mieb-max-drop fails",
     {}, "string"),
    ("baseline-model", "the model of a baseline folder that holds several (name[@revision])",
     {}, "string"),
    ("max-drop", "allowed drop below the baseline: absolute (0.01) or relative (2%%); default 0",
     {}, "string"),
    ("bootstrap", "bootstrap resamples for confidence intervals; the baseline gate then fails "
     "only on a statistically significant drop", {"type": int}, "string"),
    ("shard", "run shard i of N (1-based, e.g. 2/4), tasks balanced by expected duration",
     {}, None),
    ("suites", "extra suite files or directories of your own tasks", {"action": "append"},
     "paths"),
]  # fmt: skip


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("mieb", "MIEB image-embedding benchmark (pytest-mieb)")
    for name, help_text, kwargs, ini_type in _OPTIONS:
        dest = "mieb_" + name.replace("-", "_")
        group.addoption(f"--mieb-{name}", dest=dest, help=help_text, **kwargs)
        if ini_type:
            parser.addini(dest, help=help_text, type=ini_type)  # type: ignore[arg-type]


def value_options() -> frozenset[str]:
    """The options that take a value (all but the on/off flags), as typed on the command line."""
    return frozenset(
        f"--mieb-{name}" for name, _, kwargs, _ in _OPTIONS if kwargs.get("action") != "store_true"
    )


def _value(config: pytest.Config, name: str) -> Any:
    dest = "mieb_" + name.replace("-", "_")
    value = config.getoption(dest)
    if value not in (None, []):
        return value
    ini_type = next((t for n, _, _, t in _OPTIONS if n == name), None)
    if ini_type is None:
        return None
    raw = config.getini(dest)
    return raw if raw not in ("", [], None) else None


def _split_csv(values: list[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for value in values or ():
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class Settings:
    models: tuple[str, ...]
    benchmarks: tuple[str, ...]
    tasks: tuple[str, ...]
    batch_size: int
    device: str | None
    #: None: each model's published recipe, else fp32 (`pytest_mieb.models.defaults`).
    precision: str | None
    results_dir: Path
    data_dir: Path | None
    limit: int | None
    cache_dir: Path | None
    workers: int | None
    trust_remote_code: bool
    overwrite: bool
    leaderboard: Path | None
    suites: tuple[Path, ...]
    reference: str | None = None
    reference_threshold: float = 0.02
    baseline: Path | None = None
    baseline_model: str | None = None
    max_drop: str = "0"
    bootstrap: int | None = None
    shard: str | None = None
    api_max_requests: int | None = None
    #: The command line itself asked for MIEB work, so the suites must be collected.
    requested: bool = False
    #: --mieb-show-na: list the tasks deselected as n/a, not only their count.
    show_na: bool = False


def read_settings(config: pytest.Config) -> Settings:
    root = config.rootpath
    cwd = config.invocation_params.dir

    def path(name: str) -> Path | None:
        """Command-line paths are relative to where pytest runs; ini paths to the rootdir."""
        dest = "mieb_" + name.replace("-", "_")
        value = _value(config, name)
        if value is None:
            return None
        base = cwd if config.getoption(dest) is not None else root
        return (base / Path(value)).resolve()

    def integer(name: str) -> int | None:
        value = _value(config, name)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            raise pytest.UsageError(f"--mieb-{name} must be an integer, got {value!r}") from None
        if number < 0 or (number == 0 and name != "workers"):
            raise pytest.UsageError(f"--mieb-{name} must be positive, got {number}")
        return number

    precision = _value(config, "precision") or None
    if precision is not None and precision not in PRECISIONS:
        raise pytest.UsageError(f"--mieb-precision must be one of {PRECISIONS}, got {precision!r}")
    cli_models = config.getoption("mieb_model") or []
    models = tuple(dict.fromkeys(cli_models or _value(config, "model") or ()))
    cli_suites = config.getoption("mieb_suites") or []
    suites = tuple(
        ((cwd if cli_suites else root) / Path(p)).resolve()
        for p in (_value(config, "suites") or ())
    )
    return Settings(
        models=models,
        benchmarks=tuple(config.getoption("mieb_benchmark") or ()),
        tasks=_split_csv(config.getoption("mieb_tasks")),
        batch_size=integer("batch-size") or 32,
        device=_value(config, "device"),
        precision=precision,
        results_dir=path("results-dir") or (cwd / "mieb-results").resolve(),
        data_dir=path("data-dir"),
        limit=integer("limit"),
        cache_dir=path("cache-dir"),
        workers=integer("workers"),
        trust_remote_code=bool(_value(config, "trust-remote-code")),
        overwrite=bool(_value(config, "overwrite")),
        leaderboard=path("leaderboard"),
        suites=suites,
        reference=_value(config, "reference"),
        reference_threshold=float(_value(config, "reference-threshold") or 0.02),
        baseline=path("baseline"),
        baseline_model=_value(config, "baseline-model"),
        max_drop=str(_value(config, "max-drop") or "0"),
        bootstrap=integer("bootstrap"),
        shard=_value(config, "shard"),
        show_na=bool(_value(config, "show-na")),
        api_max_requests=integer("api-max-requests"),
        requested=bool(
            cli_models or config.getoption("mieb_benchmark") or config.getoption("mieb_tasks")
        ),
    )


def read_min_scores(root: Path) -> dict[str, Any]:
    """Per-task minimum scores from `[tool.pytest_mieb.min_scores]` of the project's pyproject."""
    from pytest_mieb.tasks.suites import read_toml

    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return {}
    tool = read_toml(pyproject.resolve()).get("tool", {}).get("pytest_mieb", {})
    return dict(tool.get("min_scores", {}))
