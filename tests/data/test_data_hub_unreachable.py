"""Online by configuration but without network: one probe, then the local caches only.

No test reaches the network: the Hub endpoint is pointed at loopback (a closed port, or a
tiny HTTP server of the test's own), or the HTTP session is replaced by a fake.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from data_layouts import REVISION, cell, default_repo, make_spec, solid
from datasets import ClassLabel, Features, Image
from huggingface_hub import constants as hub_constants

from pytest_mieb import hub as hub_probe
from pytest_mieb.data import DataError, download, load_task_data
from pytest_mieb.hub import HubUnreachableWarning, hub_unreachable
from pytest_mieb.tasks.spec import DatasetRef


@pytest.fixture(autouse=True)
def fresh_probe() -> Iterator[None]:
    hub_probe.forget()
    yield
    hub_probe.forget()


@pytest.fixture
def online(nobody_said_offline: None) -> None:
    """No offline setting, as on a machine whose user did not say offline."""


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_closed_endpoint_is_unreachable_with_the_reason(online, monkeypatch) -> None:
    endpoint = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setattr(hub_constants, "ENDPOINT", endpoint)
    reason = hub_unreachable()
    assert reason is not None and reason.startswith(endpoint)
    assert "ConnectError" in reason or "Connection" in reason


def test_any_http_answer_is_reachable_and_the_probe_runs_once(online, monkeypatch) -> None:
    seen: list[str] = []

    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            seen.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setattr(hub_constants, "ENDPOINT", f"http://127.0.0.1:{server.server_port}")
        assert [hub_unreachable() for _ in range(3)] == [None, None, None]
    finally:
        server.shutdown()
        server.server_close()
    assert len(seen) == 1


def test_an_unexpected_probe_failure_leaves_the_session_online(monkeypatch) -> None:
    class Broken:
        def head(self, url: str, **kwargs) -> None:
            raise RuntimeError("a bug, not a network failure")

    monkeypatch.setattr("huggingface_hub.utils.get_session", lambda: Broken())
    assert hub_unreachable() is None


def cache_snapshot(hf_cache_root: Path, repo: str) -> None:
    """`snapshot_download`'s layout in the Hub cache, at the pinned revision."""
    base = hf_cache_root / "home" / "hub" / f"datasets--{repo.replace('/', '--')}"
    features = Features({"img": Image(), "label": ClassLabel(names=["a", "b"])})
    table = ({"img": [cell(solid(3))], "label": [0]}, features)
    default_repo(base / "snapshots" / REVISION, {"train": table, "test": table})
    (base / "refs").mkdir()
    (base / "refs" / "main").write_text(REVISION)


def spec_for(repo: str):
    return make_spec(
        name=repo.split("/")[1],
        dataset=DatasetRef(repo, REVISION),
        train_split="train",
        columns={"image": "img", "label": "label"},
    )


def test_unreachable_hub_reads_cached_datasets_and_probes_once(
    online, hub_without_network, hf_cache_root: Path
) -> None:
    cache_snapshot(hf_cache_root, "test-org/cached-one")
    cache_snapshot(hf_cache_root, "test-org/cached-two")
    with pytest.warns(HubUnreachableWarning, match="local caches"):
        first = load_task_data(spec_for("test-org/cached-one"))
    second = load_task_data(spec_for("test-org/cached-two"))
    assert list(first.test.labels) == list(second.test.labels) == [0]
    assert hub_without_network.requests == 1


def test_unreachable_hub_and_nothing_cached_is_one_line_with_the_reason(
    online, hub_without_network
) -> None:
    with pytest.warns(HubUnreachableWarning), pytest.raises(DataError) as info:
        load_task_data(spec_for("test-org/never-downloaded"))
    message = str(info.value)
    assert "the Hub could not be reached" in message and "ConnectionRefusedError" in message
    assert "not in the local caches" in message and "offline mode is on" not in message
    assert "--mieb-data-dir" in message and "where the Hub is reachable once" in message
    assert "unset HF_HUB_OFFLINE" not in message and "\n" not in message


def test_offline_by_configuration_never_probes(hub_without_network) -> None:
    with pytest.raises(DataError, match="offline mode is on"):
        load_task_data(spec_for("test-org/never-downloaded"))
    assert hub_without_network.requests == 0


def test_download_fails_at_once_when_the_hub_is_unreachable(
    online, hub_without_network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict] = []
    monkeypatch.setattr("huggingface_hub.snapshot_download", lambda **kw: calls.append(kw))
    with pytest.raises(DataError, match=r"could not be reached.*run download on a machine"):
        download([spec_for("test-org/some-dataset")], tmp_path)
    assert calls == []
