"""Device choice (also under xdist), precision on CPU, offline mode read at call time."""

from __future__ import annotations

import pytest
import torch

from pytest_mieb.hub import OFFLINE_VARIABLES, HubAccess, decide, said_offline
from pytest_mieb.models import ModelLoadError, resolve_device
from pytest_mieb.runtime import check_device, resolve_dtype


def fake_gpus(monkeypatch: pytest.MonkeyPatch, count: int) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)


def test_default_is_cpu_without_cuda(monkeypatch) -> None:
    fake_gpus(monkeypatch, 0)
    assert resolve_device(None) == "cpu"
    assert resolve_device("auto", worker_index=3) == "cpu"


def test_default_is_cuda_with_cuda_and_workers_spread_over_gpus(monkeypatch) -> None:
    fake_gpus(monkeypatch, 3)
    assert resolve_device(None) == "cuda"
    assert [resolve_device(None, w) for w in range(5)] == [
        "cuda:0", "cuda:1", "cuda:2", "cuda:0", "cuda:1",
    ]  # fmt: skip
    assert resolve_device("cuda", worker_index=4) == "cuda:1"


def test_explicit_devices_are_kept(monkeypatch) -> None:
    fake_gpus(monkeypatch, 2)
    assert resolve_device("cpu", worker_index=1) == "cpu"
    assert resolve_device("cuda:1", worker_index=0) == "cuda:1"


def test_cuda_without_cuda_is_a_load_error(monkeypatch) -> None:
    fake_gpus(monkeypatch, 0)
    assert resolve_device("cuda") == "cuda"  # refused at load, inside the plugin's error path
    with pytest.raises(ModelLoadError, match="CUDA is not available"):
        check_device("cuda")
    fake_gpus(monkeypatch, 1)
    with pytest.raises(ModelLoadError, match="only 1 CUDA"):
        check_device("cuda:3")
    with pytest.raises(ModelLoadError, match="invalid torch device"):
        check_device("quantum")


def test_precision_on_cpu_falls_back_to_fp32_with_a_warning() -> None:
    assert resolve_dtype("fp32", "cpu") == torch.float32
    for precision in ("fp16", "bf16"):
        with pytest.warns(UserWarning, match="CUDA only"):
            assert resolve_dtype(precision, "cpu") == torch.float32
    assert resolve_dtype("fp16", "cuda:0") == torch.float16
    assert resolve_dtype("bf16", "cuda") == torch.bfloat16
    with pytest.raises(ModelLoadError, match="precision"):
        resolve_dtype("fp8", "cpu")


@pytest.mark.parametrize("variable", OFFLINE_VARIABLES)
def test_any_offline_variable_says_offline_and_is_read_when_asked(
    nobody_said_offline, variable: str, monkeypatch
) -> None:
    assert said_offline() is None
    monkeypatch.setenv(variable, "1")
    assert said_offline() == f"{variable}=1"
    assert decide() == HubAccess("offline", f"{variable}=1")
