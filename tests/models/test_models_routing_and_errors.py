"""Issue 13 item 7: routing by id and repository files (not the cache), errors that say what
happened, and features without a pooled embedding."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from pytest_mieb import hub
from pytest_mieb.models import ModelLoadError, load_encoder, parse_model_id, routing
from pytest_mieb.models.hf_dual import _pooled
from pytest_mieb.models.hf_loading import translated_errors
from pytest_mieb.models.loaded import LoadedEncoder


@pytest.mark.parametrize(
    ("files", "backend"),
    [
        ({"open_clip_config.json", "open_clip_model.safetensors"}, "open_clip"),
        ({"open_clip_config.json", "config.json", "model.safetensors"}, "transformers"),
        ({"config.json", "model.safetensors"}, "transformers"),
        (None, "transformers"),  # unreadable: transformers reports what is wrong
    ],
)
def test_a_bare_hub_id_is_routed_by_the_repositorys_files(monkeypatch, files, backend) -> None:
    seen = []

    def listing(repo, revision):
        seen.append((repo, revision))
        return None if files is None else frozenset(files)

    monkeypatch.setattr(routing, "repo_files", listing)
    ref = routing.settle_route(parse_model_id("org/model@r1"))
    assert (ref.backend, ref.by_files) == (backend, False)
    assert seen == [("org/model", "r1")]


def test_ids_routed_by_their_form_are_not_looked_up(monkeypatch) -> None:
    monkeypatch.setattr(routing, "repo_files", lambda *a: pytest.fail("looked up"))
    for model_id in ("openai/clip-vit-base-patch16", "laion/CLIP-x", "transformers:org/x"):
        assert routing.settle_route(parse_model_id(model_id)) == parse_model_id(model_id)


def test_a_reachable_repo_without_config_is_not_called_unreachable(monkeypatch) -> None:
    monkeypatch.setattr(hub, "decide", lambda **kw: hub.HubAccess("reachable"))
    ref = parse_model_id("org/model")
    missing = "org/model does not appear to have a file named config.json. Checkout ..."
    with (
        pytest.raises(ModelLoadError, match="is reachable but is not a transformers model") as info,
        translated_errors(ref),
    ):
        raise OSError(missing)
    assert "hf-hub:org/model" in str(info.value)
    assert "not reachable" not in str(info.value)


def test_an_unreachable_repo_is_still_reported_as_such(monkeypatch) -> None:
    monkeypatch.setattr(hub, "decide", lambda **kw: hub.HubAccess("offline", "HF_HUB_OFFLINE"))
    with (
        pytest.raises(ModelLoadError, match="not reachable"),
        translated_errors(parse_model_id("org/model")),
    ):
        raise OSError("We couldn't connect to 'https://huggingface.co' to load the files")


def test_features_without_a_pooled_embedding_are_a_clear_error() -> None:
    tensor = torch.ones(2, 3)
    assert _pooled(tensor) is tensor
    assert _pooled(SimpleNamespace(pooler_output=tensor)) is tensor
    with pytest.raises(ModelLoadError, match="pooler_output is empty"):
        _pooled(SimpleNamespace(pooler_output=None, last_hidden_state=tensor))


class _ImageOnly(LoadedEncoder):
    """An image-only encoder built on `LoadedEncoder` (as the DINOv2 / timm adapters are)."""

    modalities = frozenset({"image"})

    def __init__(self) -> None:
        self._hold(
            name="image-only", revision="0", model=None, device="cpu", dtype=torch.float32,
            image_transform=lambda image: torch.ones(3, 4, 4), identity={"a": 1},
        )  # fmt: skip
        self.pixel_calls = 0

    def encode_pixels(self, pixels):
        self.pixel_calls += 1
        return torch.zeros(len(pixels), 5)

    def encode_texts(self, texts):
        raise AssertionError("an image-only model was handed text")


def test_embed_dim_of_an_image_only_model_is_measured_on_an_image() -> None:
    encoder = _ImageOnly()
    encoder._measure_embed_dim()
    assert (encoder.embed_dim, encoder.pixel_calls) == (5, 1)


def test_a_blip_captioning_checkpoint_is_refused_with_the_reason(tmp_path) -> None:
    (tmp_path / "config.json").write_text(
        '{"architectures": ["BlipForConditionalGeneration"], "model_type": "blip"}'
    )
    with pytest.raises(ModelLoadError, match=r"BLIP captioning checkpoint .* no text encoder"):
        load_encoder(str(tmp_path), device="cpu")


def test_every_weights_backed_backend_has_an_adapter_called_as_its_loader_takes_it() -> None:
    import importlib
    import inspect
    import typing

    from pytest_mieb.models.id_forms import Backend
    from pytest_mieb.models.registry import _ADAPTERS

    weights_backed = set(typing.get_args(Backend)) - {"baseline", "user", "api"}
    assert set(_ADAPTERS) == weights_backed
    for backend, (module, loader, takes_trust) in _ADAPTERS.items():
        load = getattr(importlib.import_module(f"pytest_mieb.models.{module}"), loader)
        parameters = inspect.signature(load).parameters
        assert {"device", "dtype"} <= set(parameters), backend
        assert ("trust_remote_code" in parameters) is takes_trust, backend
