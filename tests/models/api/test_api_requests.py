"""What each API encoder sends, and that it returns the vectors the API gave for it.

The fake's vector for an input is a hash of its segments (decoded image pixels), model, input
type and dimension (`fakeapis.vectors.expected_vector`), so an equal vector proves the request
held exactly those.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from api_inputs import picture
from fakeapis.vectors import expected_vector, pil_image_key

TEXTS = ["a photo of a cat.", "  two dogs  ", "x"]


def texts_key(texts: list[str]) -> list[list[str]]:
    return [["text:" + t] for t in texts]


def expected(provider: str, model: str, keyed: list[list[str]], dim: int, **fields: Any):
    return np.array(
        [expected_vector(provider, model, keys, dim, seed=3, **fields) for keys in keyed],
        dtype=np.float32,
    )


def bodies(api: Any, path: str) -> list[Any]:
    return [r.body for r in api.requests if path in r.path]


# -- Voyage ------------------------------------------------------------------------------


def test_voyage_sends_mtebs_request_and_maps_sides_as_mteb(api: Any, make: Any) -> None:
    enc = make("voyageai/voyage-multimodal-3")
    assert (enc.name, enc.embed_dim, enc.similarity) == ("voyageai/voyage-multimodal-3", 1024,
                                                         "cosine")  # fmt: skip
    query = enc.encode_texts(TEXTS, context=SimpleNamespace(side="query", task_type="Any2Any"))
    none = enc.encode_texts(TEXTS, prompt_type=None)
    (first, second) = bodies(api, "/multimodalembeddings")
    assert first == {
        "inputs": [{"content": [{"type": "text", "text": t}]} for t in TEXTS],
        "model": "voyage-multimodal-3", "input_type": "query", "truncation": True,
        "output_dtype": None, "output_dimension": None, "encoding_format": "base64",
    }  # fmt: skip
    assert second["input_type"] == "document"  # calls without a side are documents, as mteb
    assert api.requests[0].headers["authorization"] == "Bearer test-key"
    model = "voyage-multimodal-3"
    np.testing.assert_array_equal(query, expected("voyage", model, texts_key(TEXTS), 1024,
                                                  input_type="query"))  # fmt: skip
    np.testing.assert_array_equal(none, expected("voyage", model, texts_key(TEXTS), 1024,
                                                 input_type="document"))  # fmt: skip


def test_voyage_fused_inputs_are_text_then_lossless_rgb_webp(api: Any, make: Any) -> None:
    images = [picture(1), picture(2, mode="RGBA"), picture(3, mode="L")]
    out = make("voyageai/voyage-multimodal-3").encode_fused(images, TEXTS, prompt_type="query")
    (body,) = bodies(api, "/multimodalembeddings")
    contents = [item["content"] for item in body["inputs"]]
    assert [[seg["type"] for seg in c] for c in contents] == [["text", "image_base64"]] * 3
    assert all(c[1]["image_base64"].startswith("data:image/webp;base64,") for c in contents)
    keyed = [["text:" + t, pil_image_key(img.convert("RGB"), "WEBP")]
             for t, img in zip(TEXTS, images, strict=True)]  # fmt: skip
    np.testing.assert_array_equal(out, expected("voyage", "voyage-multimodal-3", keyed, 1024,
                                                input_type="query"))  # fmt: skip


def test_voyage_output_dimension_option(api: Any, make: Any) -> None:
    enc = make("api:voyage/voyage-multimodal-3.5?dimensions=256")
    assert (enc.name, enc.embed_dim) == ("api:voyage/voyage-multimodal-3.5?dimensions=256", 256)
    out = enc.encode_texts(["hello"])
    assert bodies(api, "/multimodalembeddings")[0]["output_dimension"] == 256
    assert out.shape == (1, 256)


# -- Cohere ------------------------------------------------------------------------------


def test_cohere_texts_go_as_mteb_sends_them_queries_included(api: Any, make: Any) -> None:
    enc = make("cohere/embed-english-v3.0")
    query = enc.encode_texts(TEXTS, prompt_type="query")
    doc = enc.encode_texts(TEXTS, prompt_type="document")
    # one request: the document side asks what the query side asked, and the cache answers
    (only,) = bodies(api, "/v2/embed")
    assert only == {"texts": TEXTS, "model": "embed-english-v3.0",
                    "input_type": "search_document", "embedding_types": ["float"]}  # fmt: skip
    np.testing.assert_array_equal(query, doc)
    np.testing.assert_array_equal(doc, expected("cohere", "embed-english-v3.0", texts_key(TEXTS),
                                                1024, input_type="search_document"))  # fmt: skip


@pytest.mark.parametrize("how", ["id", "keyword"])
def test_cohere_documented_query_input_type_on_request(api: Any, make: Any, how: str) -> None:
    if how == "id":
        enc = make("api:cohere/embed-english-v3.0?query_input_type=search_query")
    else:
        enc = make("cohere/embed-english-v3.0", query_input_type="search_query")
    query = enc.encode_texts(TEXTS, prompt_type="query")
    enc.encode_texts(TEXTS, prompt_type="document")
    enc.encode_texts(TEXTS)
    # no side asks what the document side asked: served from the cache
    assert [b["input_type"] for b in bodies(api, "/v2/embed")] == [
        "search_query", "search_document"
    ]  # fmt: skip
    np.testing.assert_array_equal(query, expected("cohere", "embed-english-v3.0",
                                                  texts_key(TEXTS), 1024,
                                                  input_type="search_query"))  # fmt: skip


def test_cohere_query_input_type_is_part_of_the_id(make: Any) -> None:
    from pytest_mieb.models.api import parse_api_id
    from pytest_mieb.models.api.catalog import ApiIdError

    assert parse_api_id("api:cohere/embed-english-v3.0?query_input_type=search_document") == (
        parse_api_id("api:cohere/embed-english-v3.0")
    )
    documented = parse_api_id("api:cohere/embed-english-v3.0?query_input_type=search_query")
    assert "query_input_type=search_query" in documented.name
    with pytest.raises(ApiIdError, match="query_input_type must be one of"):
        parse_api_id("api:cohere/embed-english-v3.0?query_input_type=classification")


def test_cohere_texts_are_packed_96_per_request(api: Any, make: Any) -> None:
    texts = [f"text {i}" for i in range(200)]
    out = make("cohere/embed-english-v3.0").encode_texts(texts)
    assert [len(b["texts"]) for b in bodies(api, "/v2/embed")] == [96, 96, 8]
    assert out.shape == (200, 1024)


def test_cohere_v3_images_one_per_request_and_fused_is_the_sum(api: Any, make: Any) -> None:
    enc = make("cohere/embed-multilingual-v3.0")
    images = [picture(4), picture(5)]
    image_vectors = enc.encode_images(images, prompt_type="document")
    sent = bodies(api, "/v2/embed")
    assert [b["input_type"] for b in sent] == ["image", "image"]
    assert all(len(b["images"]) == 1 and b["images"][0].startswith("data:image/jpeg;base64,")
               for b in sent)  # fmt: skip
    text_vectors = enc.encode_texts(["a", "b"], prompt_type="query")
    fused = enc.encode_fused(images, ["a", "b"], prompt_type="query")
    np.testing.assert_allclose(fused, image_vectors + text_vectors, rtol=0, atol=0)
    assert len(bodies(api, "/v2/embed")) == 3  # the fused call was served from the cache


def test_cohere_v4_fused_inputs_are_interleaved_content(api: Any, make: Any) -> None:
    enc = make("Cohere/Cohere-embed-v4.0")
    assert enc.embed_dim == 1536
    enc.encode_fused([picture(6), picture(7)], ["left", "right"], prompt_type="query")
    (body,) = bodies(api, "/v2/embed")
    assert body["input_type"] == "search_document"
    assert [[seg["type"] for seg in item["content"]] for item in body["inputs"]] == [
        ["text", "image_url"], ["text", "image_url"]
    ]  # fmt: skip


def test_cohere_v4_int8_variant_and_dimensions(api: Any, make: Any) -> None:
    from fakeapis.vectors import quantized

    enc = make("Cohere/Cohere-embed-v4.0 (output_dtype=int8)")
    assert enc.name == "Cohere/Cohere-embed-v4.0 (output_dtype=int8)"
    out = enc.encode_texts(["hello"])
    assert bodies(api, "/v2/embed")[0]["embedding_types"] == ["int8"]
    floats = expected_vector("cohere", "embed-v4.0", ["text:hello"], 1536, seed=3,
                             input_type="search_document")  # fmt: skip
    np.testing.assert_array_equal(out[0], np.asarray(quantized(floats, "int8"), np.float32))
    small = make("api:cohere/embed-v4.0?dimensions=512")
    assert small.encode_texts(["hello"]).shape == (1, 512)
    assert bodies(api, "/v2/embed")[1]["output_dimension"] == 512


def test_cohere_binary_is_unpacked_least_significant_bit_first() -> None:
    from pytest_mieb.models.api.cohere import unpack_binary

    assert unpack_binary([1, -128]) == [1.0] + [-1.0] * 7 + [-1.0] * 7 + [1.0]


# -- Gemini ------------------------------------------------------------------------------


def test_gemini_packs_mtebs_single_requests_100_per_call(api: Any, make: Any) -> None:
    enc = make("google/gemini-embedding-2")
    texts = [f"caption {i}" for i in range(150)]
    out = enc.encode_texts(texts, prompt_type="query")
    sent = bodies(api, ":batchEmbedContents")
    assert [len(b["requests"]) for b in sent] == [100, 50]
    assert sent[0]["requests"][0] == {
        "model": "models/gemini-embedding-2",
        "content": {"role": "user", "parts": [{"text": "caption 0"}]},
        "outputDimensionality": 3072,
    }
    assert api.requests[0].headers["x-goog-api-key"] == "test-key"
    want = expected("gemini", "gemini-embedding-2", texts_key(texts), 3072,
                    output_dimensionality=3072)  # fmt: skip
    np.testing.assert_array_equal(out, want)


def test_gemini_sends_png_in_the_images_own_mode_after_the_text(api: Any, make: Any) -> None:
    image = picture(8, mode="L")
    out = make("google/gemini-embedding-2").encode_fused([image], ["grey"])
    (body,) = bodies(api, ":batchEmbedContents")
    parts = body["requests"][0]["content"]["parts"]
    assert parts[0] == {"text": "grey"} and parts[1]["inline_data"]["mime_type"] == "image/png"
    keyed = [["text:grey", pil_image_key(image, "PNG")]]
    np.testing.assert_array_equal(out, expected("gemini", "gemini-embedding-2", keyed, 3072,
                                                output_dimensionality=3072))  # fmt: skip


@pytest.mark.parametrize("side", ["query", "document", None])
def test_gemini_requests_do_not_depend_on_the_side(api: Any, make: Any, side: Any) -> None:
    enc = make("google/gemini-embedding-2")
    assert enc.context_key(SimpleNamespace(side=side)) == enc.context_key(None)
