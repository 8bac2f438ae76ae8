"""Test-wide guard: no test reaches the Hugging Face Hub or writes to the user's caches.

Set before huggingface_hub / datasets are imported, since they read these at import time.
"""

import os
import tempfile
from collections.abc import Iterator

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="pytest-mieb-hf-home-"))
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"


def pytest_configure(config: pytest.Config) -> None:
    """Under mutation testing (tools/mutate.py): mutmut names the mutant under test in
    ``MUTANT_UNDER_TEST``, which processes started by tests inherit, so they run the mutant
    too. Its other modes (recording which tests call what, checking its setup) have no dot in
    the name and only work in its own process, which keeps a copy: processes the tests start
    run the plain code then."""
    mode = os.environ.get("MUTANT_UNDER_TEST")
    if mode is not None and "." not in mode:
        del os.environ["MUTANT_UNDER_TEST"]


class RefusingSession:
    """huggingface_hub's HTTP session on a machine without network: every request is
    refused (and counted), so a test can see how often the Hub was asked."""

    def __init__(self) -> None:
        self.requests = 0

    def head(self, url: str, **kwargs: object) -> None:
        self.requests += 1
        raise ConnectionRefusedError(111, "Connection refused")


@pytest.fixture
def hub_without_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[RefusingSession]:
    """The Hub does not answer; pytest_mieb's reachability probe starts afresh."""
    from pytest_mieb import hub as hub_probe

    session = RefusingSession()
    monkeypatch.setattr("huggingface_hub.utils.get_session", lambda: session)
    hub_probe.forget()
    yield session
    hub_probe.forget()


@pytest.fixture
def nobody_said_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """None of the offline settings that `pytest_mieb.hub` reads is on (as on a machine
    whose user did not say offline), also where the libraries already read them."""
    import sys

    from pytest_mieb.hub import OFFLINE_VARIABLES

    for var in OFFLINE_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    if "datasets.config" in sys.modules:
        monkeypatch.setattr("datasets.config.HF_HUB_OFFLINE", False)
        monkeypatch.setattr("datasets.config.HF_DATASETS_OFFLINE", False)
