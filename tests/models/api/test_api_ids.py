"""API model ids: the forms that reach an API model, the names results go under, and the
one-line errors for a bad id or a missing key (before anything is sent)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_mieb.models import ModelLoadError, load_encoder, parse_model_id


@pytest.mark.parametrize(
    ("model_id", "name"),
    [
        ("voyageai/voyage-multimodal-3", "voyageai/voyage-multimodal-3"),
        ("mongodb/voyage-multimodal-3", "voyageai/voyage-multimodal-3"),
        ("cohere/embed-english-v3.0", "cohere/embed-english-v3.0"),
        ("Cohere/Cohere-embed-v4.0", "Cohere/Cohere-embed-v4.0"),
        ("Cohere/Cohere-embed-v4.0 (output_dtype=binary)",
         "Cohere/Cohere-embed-v4.0 (output_dtype=binary)"),
        ("google/gemini-embedding-2", "google/gemini-embedding-2"),
        ("api:cohere/embed-v4.0?output_dtype=int8", "Cohere/Cohere-embed-v4.0 (output_dtype=int8)"),
        ("api:cohere/embed-v4.0?dimensions=1536", "Cohere/Cohere-embed-v4.0"),
        ("api:gemini/gemini-embedding-2?dimensions=768",
         "google/gemini-embedding-2 (dimensions=768)"),
        ("api:cohere/embed-english-light-v3.0", "api:cohere/embed-english-light-v3.0"),
    ],
)  # fmt: skip
def test_api_ids_reach_the_api_backend_under_mtebs_names(model_id: str, name: str) -> None:
    ref = parse_model_id(model_id)
    assert (ref.backend, ref.name, ref.revision) == ("api", name, None)


@pytest.mark.parametrize(
    ("model_id", "why"),
    [
        ("voyageai/voyage-multimodal-3@abc", "API models have no revisions"),
        ("api:openai/clip", "unknown API provider 'openai'"),
        ("api:voyage/voyage-3", "voyage has no image-capable embedding model 'voyage-3'"),
        ("api:voyage/voyage-multimodal-3?dimensions=256", "offers dimensions only its default"),
        ("api:cohere/embed-v4.0?output_dtype=float16", "output_dtype must be one of"),
        ("api:gemini/gemini-embedding-2?colour=red", "options of gemini models are dimensions"),
    ],
)
def test_bad_api_ids_are_refused_in_one_line(model_id: str, why: str) -> None:
    with pytest.raises(ModelLoadError) as info:
        parse_model_id(model_id)
    assert why in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("model_id", "variables"),
    [
        ("voyageai/voyage-multimodal-3", "VOYAGE_API_KEY"),
        ("cohere/embed-english-v3.0", "CO_API_KEY or COHERE_API_KEY"),
        ("google/gemini-embedding-2", "GOOGLE_API_KEY or GEMINI_API_KEY"),
    ],
)
def test_a_missing_key_is_one_line_naming_the_variables(model_id: str, variables: str) -> None:
    with pytest.raises(ModelLoadError) as info:
        load_encoder(model_id)
    message = str(info.value)
    assert message.startswith(f"model {parse_model_id(model_id).name!r} calls the ")
    assert message.endswith(f"API and needs an API key: set {variables} (nothing was sent)")
    assert "\n" not in message


def test_the_key_and_base_url_come_from_the_environment(
    api: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("COHERE_API_KEY", " co-secret\n")
    monkeypatch.setenv("CO_API_URL", api.url)
    monkeypatch.setenv("MIEB_API_CACHE_DIR", str(tmp_path))
    encoder = load_encoder("cohere/embed-english-v3.0")
    encoder.encode_texts(["hi"])
    assert api.requests[-1].headers["authorization"] == "Bearer co-secret"
    assert (tmp_path / "embeddings.sqlite3").is_file()
    assert encoder.revision == "1" and encoder.fingerprint.startswith("api:")


def test_collection_time_modules_import_no_numpy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pytest_mieb.models.api, pytest_mieb.models.api.settings, "
        "pytest_mieb.models.id_forms;"
        "print(sorted(m for m in ('numpy', 'PIL', 'torch') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
