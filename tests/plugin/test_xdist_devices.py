"""Under pytest-xdist each worker loads its model on GPU `worker_index % device_count`.

Fake GPUs (torch.cuda.is_available / device_count patched) and a `pytest_mieb_load_encoder`
hook that writes down the device the plugin asks for, then returns the CPU baseline: the
device choice is checked end to end without a GPU.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from plugin_runs import assert_ran, run

RECORDING_HOOK = """
import os

import torch

from pytest_mieb.models import load_encoder


def pytest_configure(config):
    if {patch_workers} and hasattr(config, "workerinput"):  # xdist workers: 2 fake GPUs
        torch.cuda.is_available = lambda: True
        torch.cuda.device_count = lambda: 2


def pytest_mieb_load_encoder(model_id, device, precision):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(os.path.join({folder!r}, worker), "a") as record:
        record.write(device + "\\n")
    return load_encoder("baseline/pixels")
"""


def devices_asked_for(
    pytester: pytest.Pytester, data: Path, *args: str, items: int = 1, xdist: bool = False
) -> dict[str, str]:
    """Run one task (on every worker under xdist); the device each process's load asked for."""
    folder = pytester.path / "devices"
    folder.mkdir()
    pytester.makeconftest(RECORDING_HOOK.format(folder=str(folder), patch_workers=xdist))
    result = run(
        pytester, data, "--mieb-model=baseline/pixels", "--mieb-tasks=LocalDigitsZeroShot", *args
    )
    assert_ran(result, passed=items)
    return {path.name: path.read_text() for path in sorted(folder.iterdir())}


@pytest.mark.usefixtures("offline_env")
def test_xdist_workers_are_spread_over_the_gpus(
    pytester: pytest.Pytester, local_data: Path
) -> None:
    asked = devices_asked_for(pytester, local_data, "-n=2", "--dist=each", items=2, xdist=True)
    assert asked == {"gw0": "cuda:0\n", "gw1": "cuda:1\n"}


@pytest.fixture
def two_fake_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)


@pytest.mark.usefixtures("offline_env", "two_fake_gpus")
@pytest.mark.parametrize(
    "worker,option,device",
    [
        ("gw5", None, "cuda:1"),  # 5 % 2
        ("gw4", "--mieb-device=cuda", "cuda:0"),  # a plain "cuda" is spread too
        ("gw5", "--mieb-device=cuda:0", "cuda:0"),  # an explicit device is kept
        ("gw5", "--mieb-device=cpu", "cpu"),
        (None, None, "cuda"),  # outside xdist: the default CUDA device
    ],
)
def test_device_follows_the_worker_index_unless_one_is_given(
    pytester: pytest.Pytester,
    local_data: Path,
    monkeypatch: pytest.MonkeyPatch,
    worker: str | None,
    option: str | None,
    device: str,
) -> None:
    """In process, as xdist worker `worker` would see it (xdist sets PYTEST_XDIST_WORKER)."""
    if worker is None:
        monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    else:
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    asked = devices_asked_for(pytester, local_data, *([option] if option else []))
    assert asked == {worker or "main": device + "\n"}
