"""Half-precision loading, checked on the CPU: which device and dtype reach the adapters,
weights cast, fingerprints apart, float32 out. The CUDA-only tests beside the adapters'
tests are left with the GPU kernels alone.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

from pytest_mieb.models import hf_dual, load_encoder, open_clip_encoder
from pytest_mieb.models.id_forms import parse_model_id

TEXTS = ["a photo of a cat", "", "two dogs on a red sofa"]
LOW = [torch.float16, torch.bfloat16]


def assert_float32_close(got: torch.Tensor, want: torch.Tensor) -> None:
    assert got.dtype == torch.float32 and got.device.type == "cpu"
    torch.testing.assert_close(got, want, atol=5e-2, rtol=5e-2)


@pytest.mark.parametrize("dtype", LOW, ids=str)
def test_transformers_weights_in_low_precision_return_float32(
    clip_dir: Path, images, dtype: torch.dtype
) -> None:
    reference = load_encoder(str(clip_dir), device="cpu")
    ref = parse_model_id(str(clip_dir))
    encoder = hf_dual.load_transformers_dual(
        ref, device="cpu", dtype=dtype, trust_remote_code=False
    )
    assert {p.dtype for p in encoder.model.parameters()} == {dtype}
    assert encoder.fingerprint != reference.fingerprint
    assert_float32_close(encoder.encode_images(images), reference.encode_images(images))
    assert_float32_close(encoder.encode_texts(TEXTS), reference.encode_texts(TEXTS))


@pytest.mark.parametrize("dtype", LOW, ids=str)
def test_open_clip_weights_in_low_precision_return_float32(
    open_clip_dir: Path, open_clip_arch: str, open_clip_checkpoint: Path, images, dtype
) -> None:
    reference = load_encoder(f"open_clip:{open_clip_arch}/{open_clip_checkpoint}", device="cpu")
    ref = parse_model_id(str(open_clip_dir))
    encoder = open_clip_encoder.load_open_clip(ref, device="cpu", dtype=dtype)
    # open_clip casts the layers only; pixels must enter in that dtype, not in the fp32 of
    # the class embedding that comes first among the image tower's parameters
    assert encoder.dtype == dtype == encoder.model.visual.conv1.weight.dtype
    assert encoder.model.visual.class_embedding.dtype == torch.float32
    assert encoder.fingerprint != load_encoder(str(open_clip_dir), device="cpu").fingerprint
    assert_float32_close(encoder.encode_images(images), reference.encode_images(images))
    assert_float32_close(encoder.encode_texts(TEXTS), reference.encode_texts(TEXTS))


class Recorder:
    """Stands in for an adapter's loader: notes the device and dtype it is given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def __call__(self, ref: Any, *, device: str, dtype: Any, **_: Any) -> str:
        self.calls.append((device, dtype))
        return "encoder"


@pytest.fixture
def two_fake_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)


@pytest.mark.usefixtures("two_fake_gpus")
@pytest.mark.parametrize(
    ("device", "precision", "dtype"),
    [
        ("cuda", "fp16", torch.float16),
        ("cuda:1", "bf16", torch.bfloat16),
        ("cuda", "fp32", torch.float32),
        (None, "fp16", torch.float16),  # no device asked for: CUDA, since it is there
    ],
)
@pytest.mark.parametrize(
    ("model", "module", "loader"),
    [
        ("clip_dir", hf_dual, "load_transformers_dual"),
        ("open_clip_dir", open_clip_encoder, "load_open_clip"),
    ],
)
def test_on_cuda_the_adapter_gets_the_gpu_and_the_low_precision_dtype(
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    model: str,
    module: Any,
    loader: str,
    device: str | None,
    precision: str,
    dtype: torch.dtype,
) -> None:
    recorder = Recorder()
    monkeypatch.setattr(module, loader, recorder)
    path = request.getfixturevalue(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "CUDA only" fallback warning on a GPU
        assert load_encoder(str(path), device=device, precision=precision) == "encoder"
    assert recorder.calls == [(device or "cuda", dtype)]


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_on_the_cpu_the_adapter_gets_float32(
    clip_dir: Path, monkeypatch: pytest.MonkeyPatch, precision: str
) -> None:
    recorder = Recorder()
    monkeypatch.setattr(hf_dual, "load_transformers_dual", recorder)
    with pytest.warns(UserWarning, match="CUDA only"):
        load_encoder(str(clip_dir), device="cpu", precision=precision)
    assert recorder.calls == [("cpu", torch.float32)]
