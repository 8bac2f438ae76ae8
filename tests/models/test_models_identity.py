"""Revisions from cache paths, content hashes, fingerprints."""

from __future__ import annotations

from pytest_mieb.models.fingerprints import (
    NO_REVISION,
    commit_from_path,
    content_identity,
    fingerprint,
    pick_revision,
)

SHA = "0c1f22679417b3ae925d779442221c40cd1861ab"


def test_commit_is_read_from_a_hub_cache_snapshot_path() -> None:
    path = f"/home/u/.cache/huggingface/hub/models--org--m/snapshots/{SHA}/config.json"
    assert commit_from_path(path) == SHA
    assert commit_from_path(f"/x/snapshots/{SHA}") == SHA
    assert commit_from_path("/x/snapshots/main/config.json") is None
    assert commit_from_path(None) is None


def test_revision_prefers_a_commit_over_a_moving_name() -> None:
    assert pick_revision("main", f"/c/snapshots/{SHA}/w.bin") == SHA
    assert pick_revision(SHA[:7]) == SHA[:7]
    assert pick_revision(SHA, "/elsewhere") == SHA
    assert pick_revision(None, "/local/dir") == NO_REVISION


def test_content_identity_follows_the_bytes(tmp_path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"weights-1")
    (tmp_path / "config.json").write_text("{}")
    first = content_identity(tmp_path, NO_REVISION)
    assert first == content_identity(tmp_path, NO_REVISION)
    (tmp_path / "model.safetensors").write_bytes(b"weights-2")
    assert content_identity(tmp_path, NO_REVISION) != first
    assert content_identity(tmp_path, SHA) == f"commit:{SHA}"
    single = content_identity(tmp_path / "model.safetensors", NO_REVISION)
    assert single.startswith("sha256:") and single != first


def test_fingerprint_ignores_key_order_and_sees_values() -> None:
    a = fingerprint({"id": "x", "dtype": "float32", "cfg": {"size": (224, 224)}})
    b = fingerprint({"cfg": {"size": (224, 224)}, "dtype": "float32", "id": "x"})
    assert a == b and len(a) == 64
    assert fingerprint({"id": "x", "dtype": "float16", "cfg": {"size": (224, 224)}}) != a
