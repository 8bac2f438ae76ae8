"""Session-wide settings of the API models: where their cache lives, the request budget.

The plugin calls `configure` once per session (per xdist worker) from its options; library
users may call it too, or rely on the environment:

* cache directory: ``MIEB_API_CACHE_DIR``, else ``<--mieb-cache-dir>/api``, else
  ``$XDG_CACHE_HOME/pytest-mieb/api`` (``~/.cache/pytest-mieb/api``);
* request budget: ``--mieb-api-max-requests N`` or ``MIEB_API_MAX_REQUESTS`` (every HTTP
  request counts, retries included; unset = no budget);
* ``run_id``: set under xdist so that all workers of one run share one budget (counted in
  the cache's database), unset in a single process (counted in memory).

Standard library only: read at collection time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CACHE_DIR_VARIABLE = "MIEB_API_CACHE_DIR"
MAX_REQUESTS_VARIABLE = "MIEB_API_MAX_REQUESTS"


@dataclass(frozen=True)
class ApiSettings:
    cache_dir: Path
    max_requests: int | None = None
    run_id: str | None = None


_configured: ApiSettings | None = None


def default_cache_dir(embedding_cache_dir: Path | None = None) -> Path:
    explicit = os.environ.get(CACHE_DIR_VARIABLE)
    if explicit:
        return Path(explicit).expanduser()
    if embedding_cache_dir is not None:
        return Path(embedding_cache_dir) / "api"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pytest-mieb" / "api"


def max_requests_from_environment() -> int | None:
    raw = os.environ.get(MAX_REQUESTS_VARIABLE, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{MAX_REQUESTS_VARIABLE} must be a positive integer, got {raw!r}")
    return int(raw)


def configure(
    *,
    embedding_cache_dir: Path | None = None,
    max_requests: int | None = None,
    run_id: str | None = None,
) -> ApiSettings:
    """Set the session's settings (an unset budget falls back to the environment)."""
    global _configured
    budget = max_requests if max_requests is not None else max_requests_from_environment()
    _configured = ApiSettings(default_cache_dir(embedding_cache_dir), budget, run_id)
    from pytest_mieb.models.api import usage

    usage.reset()
    return _configured


def current() -> ApiSettings:
    """The configured settings, else those the environment gives."""
    if _configured is not None:
        return _configured
    return ApiSettings(default_cache_dir(), max_requests_from_environment())


def forget() -> None:
    """Back to the environment's settings (tests; the end of a session)."""
    global _configured
    _configured = None
