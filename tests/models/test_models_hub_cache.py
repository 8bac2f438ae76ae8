"""Hub ids served offline from a (fake, local) Hugging Face cache: routing and revisions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from pytest_mieb.models import load_encoder, parse_model_id

SHA = "1234567890abcdef1234567890abcdef12345678"


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """Point the hub cache at an empty folder; returns a function that caches a repo."""
    import huggingface_hub.constants as hub_constants

    root = tmp_path / "hub"
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(root))

    def cache_repo(repo: str, files: Path, sha: str = SHA) -> Path:
        base = root / f"models--{repo.replace('/', '--')}"
        (base / "refs").mkdir(parents=True)
        (base / "refs" / "main").write_text(sha)
        snapshot = base / "snapshots" / sha
        shutil.copytree(files, snapshot)
        return snapshot

    return cache_repo


def test_transformers_hub_id_resolves_to_the_cached_commit(hub_cache, clip_dir, images) -> None:
    hub_cache("mieb-test/tiny-clip", clip_dir)
    local = load_encoder(str(clip_dir), device="cpu")
    for model_id in (
        "mieb-test/tiny-clip",
        "mieb-test/tiny-clip@main",
        f"mieb-test/tiny-clip@{SHA}",
    ):
        encoder = load_encoder(model_id, device="cpu")
        assert encoder.name == "mieb-test/tiny-clip"
        assert encoder.revision == SHA
        torch.testing.assert_close(encoder.encode_images(images), local.encode_images(images))
    assert load_encoder("mieb-test/tiny-clip", device="cpu").fingerprint == encoder.fingerprint


def test_laion_clip_ids_load_with_open_clip(hub_cache, open_clip_dir, images) -> None:
    hub_cache("laion/CLIP-mieb-tiny", open_clip_dir)
    encoder = load_encoder("laion/CLIP-mieb-tiny", device="cpu")
    assert type(encoder).__name__ == "OpenClipEncoder"
    assert encoder.revision == SHA
    local = load_encoder(str(open_clip_dir), device="cpu")
    torch.testing.assert_close(encoder.encode_images(images), local.encode_images(images))


def test_other_cached_open_clip_repos_are_detected_by_their_config(hub_cache, open_clip_dir):
    hub_cache("mieb-test/oc-tiny", open_clip_dir)
    assert parse_model_id("mieb-test/oc-tiny").backend == "open_clip"
    assert parse_model_id("mieb-test/never-cached").backend == "transformers"
    encoder = load_encoder("hf-hub:mieb-test/oc-tiny@main", device="cpu")
    assert (encoder.name, encoder.revision) == ("mieb-test/oc-tiny", SHA)


@pytest.fixture
def online_without_network(nobody_said_offline, hub_without_network):
    """Nobody said offline, and the Hub does not answer."""
    return hub_without_network


def test_unreachable_hub_loads_cached_models_from_the_cache(
    hub_cache, clip_dir, images, online_without_network
) -> None:
    import huggingface_hub.constants as hub_constants

    from pytest_mieb.hub import HubUnreachableWarning

    hub_cache("mieb-test/tiny-clip", clip_dir)
    with pytest.warns(HubUnreachableWarning):
        encoder = load_encoder("mieb-test/tiny-clip", device="cpu")
    assert encoder.revision == SHA
    local = load_encoder(str(clip_dir), device="cpu")
    torch.testing.assert_close(encoder.encode_images(images), local.encode_images(images))
    assert online_without_network.requests == 1
    assert hub_constants.HF_HUB_OFFLINE is False  # only forced while loading


def test_unreachable_hub_and_an_uncached_model_is_a_load_error(
    hub_cache, online_without_network
) -> None:
    from pytest_mieb.hub import HubUnreachableWarning
    from pytest_mieb.models import ModelLoadError

    missing = pytest.raises(ModelLoadError, match="not in the local Hugging Face cache")
    with pytest.warns(HubUnreachableWarning), missing:
        load_encoder("mieb-test/never-downloaded", device="cpu")
    assert online_without_network.requests == 1
