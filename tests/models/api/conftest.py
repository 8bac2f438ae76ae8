"""API model tests: a loopback fake of the Voyage, Cohere and Gemini APIs, a fresh API cache.

The fake (`benchmarks/fakeapis`) binds 127.0.0.1 only and answers deterministic vectors that
are a hash of what was sent, so a test can recompute the vector a request must have got.
Waits between retries go to a recorder instead of `time.sleep`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.append(str(BENCHMARKS))  # appended: benchmarks' own modules never shadow others

KEY_VARIABLES = ("VOYAGE_API_KEY", "VOYAGE_BASE_URL", "CO_API_KEY", "COHERE_API_KEY",
                 "CO_API_URL", "GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GEMINI_BASE_URL",
                 "MIEB_API_CACHE_DIR", "MIEB_API_MAX_REQUESTS")  # fmt: skip


@pytest.fixture
def api() -> Iterator[Any]:
    from fakeapis import FakeAPIServer

    with FakeAPIServer(seed=3) as server:
        yield server


@pytest.fixture(autouse=True)
def no_real_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No key or base URL of the real APIs leaks in; usage counters start at zero."""
    from pytest_mieb.models.api import settings, usage

    for name in KEY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    usage.reset()
    yield
    settings.forget()
    usage.reset()


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "api-cache"


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def make(api: Any, cache_dir: Path, waits: list[float]) -> Callable[..., Any]:
    """`make(model_id, max_requests=None, run_id=None, **provider_kwargs)` -> an ApiEncoder
    against the fake, with the key "test-key", the test's API cache and recorded waits."""
    from pytest_mieb.models.api import parse_api_id, provider_class, registered_id
    from pytest_mieb.models.api.encoder import ApiEncoder
    from pytest_mieb.models.api.settings import ApiSettings

    def build(model_id: str, max_requests: int | None = None, run_id: str | None = None,
              **kwargs: Any) -> Any:  # fmt: skip
        ref = registered_id(model_id) or parse_api_id(model_id)
        base = api.url + ("/v1" if ref.provider == "voyage" else "")
        provider = provider_class(ref.provider)(ref, "test-key", base, **kwargs)
        settings = ApiSettings(cache_dir, max_requests, run_id)
        return ApiEncoder(provider, settings=settings, sleep=waits.append)

    return build
