"""May this run reach the Hugging Face Hub? Decided once per run, applied the same way everywhere.

The decision (`decide`) is one of three:

* offline: the user said so, with any of HF_HUB_OFFLINE, HF_DATASETS_OFFLINE or
  TRANSFORMERS_OFFLINE (or the libraries' live setting); nothing is probed;
* reachable: one quick request to the Hub got an answer, whatever its status;
* unreachable: that request failed in transport (no route, refused, DNS, proxy, timeout).

Why probe at all: on a machine without network (an HPC compute node, a locked-down CI runner)
and without HF_HUB_OFFLINE, every hub call retries with backoff for about 23 s before giving
up, per dataset and per model, and a dataset whose pinned revision sits in the Hub cache still
fails: a MIEB-lite run would spend some twenty minutes failing. A probe that fails in an
unexpected way counts as reachable, so that a surprise here never turns an online run offline.

The probe runs lazily, at the first load that needs the Hub (a run of the offline suite or of
local checkpoints never probes), at most once per process. Under pytest-xdist the controller
decides once and hands the decision to its workers (`to_wire` / `adopt`), which never probe.

Data and model loading apply the decision one way: inside `local_only_when_decided()`,
huggingface_hub, datasets and transformers read the local caches only (pinned revisions, as
with HF_HUB_OFFLINE=1) unless the Hub is reachable; the first use of an unreachable decision
warns once per process (`HubUnreachableWarning`).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

#: Seconds the single probe request may take before the Hub counts as unreachable.
PROBE_TIMEOUT_S = 5.0
#: The environment variables with which a user says "offline" (any one is enough).
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE")
#: The `workerinput` key under which an xdist controller hands its decision to a worker.
WORKERINPUT_KEY = "pytest_mieb_hub_access"
_TRUE = {"1", "true", "yes", "on"}

State = Literal["offline", "reachable", "unreachable"]


class HubUnreachableWarning(UserWarning):
    """The Hub did not answer: this session reads datasets and models from local caches."""


@dataclass(frozen=True)
class HubAccess:
    """The run's answer; `reason` says who said offline, or why the Hub is unreachable."""

    state: State
    reason: str = ""

    @property
    def local_only(self) -> bool:
        """Whether loads must read the local caches only."""
        return self.state != "reachable"

    @property
    def unreachable(self) -> str | None:
        """Why the Hub could not be reached; None when it answered or the user said offline."""
        return self.reason if self.state == "unreachable" else None

    def to_wire(self) -> dict[str, str]:
        """Plain data for xdist's `workerinput`."""
        return {"state": self.state, "reason": self.reason}

    @classmethod
    def from_wire(cls, wire: dict[str, str]) -> HubAccess:
        state = wire.get("state")
        if state not in ("offline", "reachable", "unreachable"):
            raise ValueError(f"not a hub access decision: {wire!r}")
        return cls(state, str(wire.get("reason", "")))


def decide(*, warn: bool = True) -> HubAccess:
    """This run's hub access: the user's offline setting, else the handed-down or probed one.

    The offline setting is read at each call (it is cheap, and tests change it); the probe
    runs at most once. With `warn`, the first unreachable answer of the process warns.
    """
    said = said_offline()
    if said is not None:
        return HubAccess("offline", said)
    access = _adopted
    if access is None:
        reason = hub_unreachable()
        access = HubAccess("reachable") if reason is None else HubAccess("unreachable", reason)
    if warn and access.unreachable is not None:
        _warn_once(access.unreachable)
    return access


def said_offline() -> str | None:
    """Which setting says offline (``"HF_HUB_OFFLINE=1"``), or None when none does."""
    for var in OFFLINE_VARIABLES:
        value = os.environ.get(var, "")
        if value.strip().lower() in _TRUE:
            return f"{var}={value}"
    if _forcing:  # our own `forced_offline` is what the live settings show now
        return None
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None and getattr(constants, "HF_HUB_OFFLINE", False):
        return "huggingface_hub.constants.HF_HUB_OFFLINE"
    config = sys.modules.get("datasets.config")
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        if config is not None and getattr(config, name, False):
            return f"datasets.config.{name}"
    return None


def adopt(access: HubAccess | None) -> None:
    """Take the decision an xdist controller handed down (None: decide here again)."""
    global _adopted
    _adopted = access


def hub_unreachable() -> str | None:
    """Why the Hub cannot be reached (one line), or None when it answered; probed once."""
    from huggingface_hub import constants

    return _probe(constants.ENDPOINT)


@contextlib.contextmanager
def local_only_when_decided() -> Iterator[HubAccess]:
    """Loads inside read the local caches only, unless this run's decision is "reachable"."""
    access = decide()
    with forced_offline(True if access.local_only else None):
        yield access


@contextlib.contextmanager
def forced_offline(offline: bool | None) -> Iterator[None]:
    """Force huggingface_hub (and transformers through it) and datasets on- or offline for
    the block (None: leave them as they are); their settings are restored after it."""
    if offline is None:
        yield
        return
    global _forcing
    from huggingface_hub import constants

    targets: list[tuple[object, str]] = [(constants, "HF_HUB_OFFLINE")]
    if "datasets" in sys.modules:
        import datasets.config

        targets += [(datasets.config, "HF_HUB_OFFLINE"), (datasets.config, "HF_DATASETS_OFFLINE")]
    saved = [getattr(owner, name) for owner, name in targets]
    _forcing += 1
    for owner, name in targets:
        setattr(owner, name, offline)
    try:
        yield
    finally:
        for (owner, name), value in zip(targets, saved, strict=True):
            setattr(owner, name, value)
        _forcing -= 1


def forget() -> None:
    """Decide (probe, warn) afresh: a new run in this process, tests, a changed network."""
    _probe.cache_clear()
    _warned.clear()
    adopt(None)


_adopted: HubAccess | None = None
_warned: set[str] = set()
_forcing = 0


def _warn_once(reason: str) -> None:
    if reason in _warned:
        return
    _warned.add(reason)
    warnings.warn(
        f"the Hugging Face Hub could not be reached ({reason}); reading datasets and "
        "models from the local caches for the rest of this session (set HF_HUB_OFFLINE=1 "
        "to say so up front)",
        HubUnreachableWarning,
        stacklevel=4,
    )


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
