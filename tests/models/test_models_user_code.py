"""``package.module:factory``: the user's own Encoder, validated with clear errors."""

from __future__ import annotations

import textwrap

import pytest

from pytest_mieb.models import ModelLoadError, load_encoder

MODULE = """
import torch
from pytest_mieb.models.baselines import PixelsBaseline

calls = []


def with_device(device):
    calls.append(device)
    encoder = PixelsBaseline()
    encoder.name = "user/with-device"
    return encoder


def without_arguments():
    return PixelsBaseline()


def with_kwargs(**kwargs):
    calls.append(kwargs)
    return PixelsBaseline()


class Namespace:
    @staticmethod
    def build():
        return PixelsBaseline()


def not_an_encoder():
    return torch.nn.Linear(2, 2)


def bad_similarity():
    encoder = PixelsBaseline()
    encoder.similarity = "euclid"
    return encoder


def broken():
    raise RuntimeError("weights are on holiday")


NOT_CALLABLE = 3
"""


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    import importlib

    (tmp_path / "mieb_user_models.py").write_text(textwrap.dedent(MODULE))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("mieb_user_models")
    yield module
    import sys

    sys.modules.pop("mieb_user_models", None)


def test_factory_gets_the_device_when_it_takes_one(user_module) -> None:
    encoder = load_encoder("mieb_user_models:with_device", device="cpu")
    assert encoder.name == "user/with-device"
    assert user_module.calls == ["cpu"]
    load_encoder("mieb_user_models:with_kwargs", device="cpu")
    assert user_module.calls[-1] == {"device": "cpu"}


def test_factory_without_arguments_and_dotted_attribute(user_module) -> None:
    assert load_encoder("mieb_user_models:without_arguments").embed_dim > 0
    assert load_encoder("mieb_user_models:Namespace.build").similarity == "cosine"


@pytest.mark.parametrize(
    ("model_id", "needle"),
    [
        ("mieb_user_models:not_an_encoder", "not an Encoder: missing embed_dim, similarity"),
        ("mieb_user_models:bad_similarity", "similarity must be 'cosine', 'dot' or 'maxsim'"),
        ("mieb_user_models:broken", "raised RuntimeError: weights are on holiday"),
        ("mieb_user_models:NOT_CALLABLE", "is not callable"),
        ("mieb_user_models:missing", "has no attribute 'missing'"),
        ("mieb_no_such_module:factory", "cannot import 'mieb_no_such_module'"),
    ],
)
def test_bad_factories_raise_load_errors(user_module, model_id, needle) -> None:
    with pytest.raises(ModelLoadError, match=needle) as info:
        load_encoder(model_id, device="cpu")
    assert "\n" not in str(info.value)
