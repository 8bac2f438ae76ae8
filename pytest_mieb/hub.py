"""Whether the Hugging Face Hub answers, asked once per process.

On a machine without network (an HPC compute node, a locked-down CI runner) and without
HF_HUB_OFFLINE, every hub call retries with backoff for about 23 s before giving up, per
dataset and per model, and a dataset whose pinned revision sits in the Hub cache still
fails: a MIEB-lite run would spend some twenty minutes failing. One quick request
instead tells whether the Hub can be reached; when it cannot, datasets and models are
read from the local caches only (pinned revisions, as with HF_HUB_OFFLINE=1), and a
warning says so once.

Only a transport failure (no route, refused, DNS, proxy, timeout) counts as unreachable.
Any HTTP answer, whatever its status, means reachable; so does a probe that fails in an
unexpected way, so that a surprise here can never turn an online run into an offline one.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import warnings
from collections.abc import Iterator

#: Seconds the single probe request may take before the Hub counts as unreachable.
PROBE_TIMEOUT_S = 5.0
_TRUE = {"1", "true", "yes", "on"}


class HubUnreachableWarning(UserWarning):
    """The Hub did not answer: this session reads datasets and models from local caches."""


def hub_unreachable() -> str | None:
    """Why the Hub cannot be reached (one line), or None when it answered."""
    from huggingface_hub import constants

    return _probe(constants.ENDPOINT)


def cache_only_reason() -> str | None:
    """`hub_unreachable`, for callers that then read the local caches only: the first time
    it is not None, a `HubUnreachableWarning` says so (once per process)."""
    reason = hub_unreachable()
    if reason is not None and reason not in _warned:
        _warned.add(reason)
        warnings.warn(
            f"the Hugging Face Hub could not be reached ({reason}); reading datasets and "
            "models from the local caches for the rest of this session (set HF_HUB_OFFLINE=1 "
            "to say so up front)",
            HubUnreachableWarning,
            stacklevel=3,
        )
    return reason


_warned: set[str] = set()


@functools.lru_cache(maxsize=8)
def _probe(endpoint: str) -> str | None:
    from huggingface_hub.utils import get_session

    session = get_session()
    transport_errors = _transport_errors(session)
    try:
        session.head(endpoint, timeout=PROBE_TIMEOUT_S)
    except transport_errors as exc:
        first_line = (str(exc).splitlines() or [""])[0]
        return f"{endpoint}: {type(exc).__name__}: {first_line[:200]}"
    except Exception:  # an unexpected failure: leave the libraries' own behaviour alone
        return None
    return None


def _transport_errors(session: object) -> tuple[type[BaseException], ...]:
    """OSError, plus the HTTP client's transport error class (httpx / httpx2)."""
    client_module = importlib.import_module(type(session).__module__.split(".")[0])
    transport = getattr(client_module, "TransportError", None)
    if isinstance(transport, type) and issubclass(transport, BaseException):
        return (OSError, transport)
    return (OSError,)


def forget() -> None:
    """Probe (and warn) again on the next call (tests; a process whose network changed)."""
    _probe.cache_clear()
    _warned.clear()


def offline_mode() -> bool:
    """Whether the user asked not to touch the network (read now, not at import time)."""
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in _TRUE:
            return True
    try:
        from huggingface_hub import constants
    except ImportError:  # pragma: no cover
        return False
    return bool(constants.HF_HUB_OFFLINE)


@contextlib.contextmanager
def cache_only_when_hub_unreachable() -> Iterator[None]:
    """Load from the local caches only when the Hub does not answer and the user did not
    say offline (see `pytest_mieb.hub`): huggingface_hub then fails fast or reads its
    cache, instead of retrying for ~23 s per file before doing the same."""
    if offline_mode():
        yield
        return
    if cache_only_reason() is None:
        yield
        return
    from huggingface_hub import constants

    saved = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = saved
