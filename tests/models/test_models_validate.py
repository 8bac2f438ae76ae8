"""The one door every encoder passes (`validate_encoder`): what it refuses, in one line, and
what it lets through (every built-in baseline, the test fakes, partial encoders)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_mieb.models import ModelLoadError, load_encoder
from pytest_mieb.models.validate import validate_encoder


class TextOnly:
    """What an image-free text encoder needs: no image_transform, no encode_pixels."""

    embed_dim = 4
    similarity = "dot"
    fingerprint = "text-only-v1"

    def encode_texts(self, texts: list[str]) -> Any:
        return [[1.0, 0.0, 0.0, 0.0] for _ in texts]


class NoFingerprint(TextOnly):
    fingerprint = None


class PixelsWithoutTransform(TextOnly):
    def encode_pixels(self, pixels: Any) -> Any:
        return pixels


class FailingFingerprint(TextOnly):
    @property
    def fingerprint(self) -> str:
        raise RuntimeError("weights not hashed yet")


class Nothing:
    name = "acme/nothing"


def refused(obj: Any) -> str:
    with pytest.raises(ModelLoadError) as info:
        validate_encoder(obj, "model 'acme/m'")
    message = str(info.value)
    assert "\n" not in message and message.startswith("model 'acme/m'")
    return message


@pytest.mark.parametrize("model_id", ["baseline/pixels", "baseline/random"])
def test_the_baselines_pass(model_id: str) -> None:
    encoder = load_encoder(model_id)
    assert validate_encoder(encoder, model_id) is encoder


def test_a_partial_encoder_without_name_or_images_passes() -> None:
    encoder = TextOnly()
    assert validate_encoder(encoder, "the mieb_encoder fixture") is encoder


def test_an_object_with_nothing_names_everything_it_lacks() -> None:
    message = refused(Nothing())
    assert "gave Nothing, not an Encoder: missing embed_dim, similarity, fingerprint" in message
    ways = "encode_texts, encode_pixels, encode_images or encode_fused"
    assert f"an encode method ({ways})" in message


def test_a_missing_member_and_a_half_way_to_encode_are_named() -> None:
    assert "missing fingerprint (see" in refused(NoFingerprint())
    assert "missing image_transform (see" in refused(PixelsWithoutTransform())


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"similarity": "euclid"}, "similarity must be 'cosine', 'dot' or 'maxsim', got 'euclid'"),
        ({"embed_dim": 0}, "embed_dim must be a positive int, got 0"),
        ({"embed_dim": True}, "embed_dim must be a positive int"),
        ({"fingerprint": ""}, "fingerprint must be a non-empty string"),
        ({"encode_texts": "not callable"}, "encode_texts must be methods"),
    ],
)
def test_wrong_values_are_refused(change: dict[str, Any], needle: str) -> None:
    encoder = TextOnly()
    for name, value in change.items():
        setattr(encoder, name, value)
    assert needle in refused(encoder)


def test_a_member_that_raises_is_reported_not_crashed_on() -> None:
    message = refused(FailingFingerprint())
    assert "reading fingerprint raised RuntimeError: weights not hashed yet" in message
