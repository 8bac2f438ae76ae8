"""Which tasks a model can take, by the input kinds it takes (issue 13 item 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_mieb.models.errors import ModelLoadError
from pytest_mieb.models.modalities import encoder_modalities, inferred_modalities
from pytest_mieb.tasks.index import load_all_specs, load_benchmarks
from pytest_mieb.tasks.modalities import missing_inputs, not_applicable_reason, required_inputs

EXPECTED = json.loads((Path(__file__).parent / "data" / "image_only_tasks.json").read_text())
ALL_KINDS = {"image", "text", "image+text"}


def runs_for(kinds: set[str], benchmark: str) -> list[str]:
    specs = load_all_specs()
    tasks = load_benchmarks()[benchmark].tasks
    return [t for t in tasks if not missing_inputs(specs[t], kinds)]


def test_an_image_only_model_runs_exactly_the_tasks_mteb_runs_for_it() -> None:
    assert sorted(runs_for({"image"}, "MIEB(Multilingual)")) == sorted(
        EXPECTED["image_only_fully_supported"]
    )
    assert sorted(runs_for({"image"}, "MIEB(lite)")) == sorted(
        EXPECTED["lite_image_only_fully_supported"]
    )


def test_an_image_text_model_runs_every_task() -> None:
    tasks = load_benchmarks()["MIEB(Multilingual)"].tasks
    assert runs_for(ALL_KINDS, "MIEB(Multilingual)") == list(tasks)


def test_required_inputs_by_protocol() -> None:
    specs = load_all_specs()
    assert required_inputs(specs["CIFAR10"]) == {"image"}
    assert required_inputs(specs["CIFAR10ZeroShot"]) == {"image", "text"}
    assert required_inputs(specs["CIRRIT2IRetrieval"]) == {"image+text", "image"}
    assert required_inputs(specs["MSCOCOT2IRetrieval"]) == {"text", "image"}
    assert required_inputs(specs["VisualSTS17Eng"]) == {"image"}
    reason = not_applicable_reason("m", specs["CIRRIT2IRetrieval"], {"image"})
    assert reason == "n/a: m takes image only; CIRRIT2IRetrieval needs image+text inputs"
    assert not_applicable_reason("m", specs["CIFAR10"], {"image"}) is None


class _Pixels:
    image_transform = staticmethod(lambda image: image)

    def encode_pixels(self, pixels):
        return pixels


class _Dual(_Pixels):
    def encode_texts(self, texts):
        return texts

    def encode_fused(self, images, texts):
        return images


def test_modalities_are_inferred_from_methods_or_declared() -> None:
    assert inferred_modalities(_Pixels()) == {"image"}
    assert encoder_modalities(_Dual()) == ALL_KINDS
    declared = _Dual()
    declared.modalities = frozenset({"image"})
    assert encoder_modalities(declared) == {"image"}


@pytest.mark.parametrize(
    ("declared", "message"),
    [("image", "must be a set"), ({"audio"}, "non-empty set"), ({"text"}, "lacks encode_texts")],
)
def test_bad_declarations_are_load_errors(declared, message) -> None:
    encoder = _Pixels()
    encoder.modalities = declared
    with pytest.raises(ModelLoadError, match=message):
        encoder_modalities(encoder, "enc")


class _Api:
    """An API model: no transform, decoded images to `encode_images`."""

    image_transform = None

    def encode_images(self, images):
        return images

    def encode_texts(self, texts):
        return texts


def test_an_api_model_without_transform_takes_images() -> None:
    assert encoder_modalities(_Api()) == {"image", "text"}
