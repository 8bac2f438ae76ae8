"""The fake API server answers as the real APIs do, fails on demand, and its vectors are checkable.

Plain HTTP through urllib (no SDKs: those live in mteb's venv, where the parity modules under
`benchmarks/mteb_reference/parity_families/mteb_side/` drive the real clients against it).
"""

from __future__ import annotations

import base64
import io
import json
import struct
import urllib.error
import urllib.request

import pytest
from PIL import Image

from fakeapis import FakeAPIServer, expected_vector, pil_image_key
from fakeapis.vectors import vector

VOYAGE_AUTH = {"Authorization": "Bearer pa-test"}


def post(url: str, body, headers=None, method: str = "POST"):
    """(status, headers, parsed JSON) of one request; HTTP errors are answers too."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, dict(reply.headers), json.loads(reply.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read())


def data_url(image: Image.Image, fmt: str) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    mime = {"WEBP": "image/webp", "PNG": "image/png", "JPEG": "image/jpeg"}[fmt]
    return f"data:{mime};base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def api():
    with FakeAPIServer(seed=3) as server:
        yield server


@pytest.fixture
def picture() -> Image.Image:
    image = Image.new("RGB", (20, 12), (200, 30, 90))
    image.putpixel((3, 4), (0, 255, 0))
    return image


def voyage_body(*contents, input_type="query"):
    return {"inputs": [{"content": c} for c in contents], "model": "voyage-multimodal-3",
            "input_type": input_type, "truncation": True, "output_dtype": None,
            "output_dimension": None, "encoding_format": "base64"}  # fmt: skip


def test_vectors_are_stable_unit_float32():
    v = vector("x", 8, seed=0)
    assert abs(sum(x * x for x in v) - 1) < 1e-6
    assert v == [struct.unpack("<f", struct.pack("<f", x))[0] for x in v]
    assert v == vector("x", 8, seed=0) != vector("x", 8, seed=1)
    # pinned: a change here changes every fake embedding that tests or parity files expect
    assert vector("x", 3, seed=0) == [0.6721793413162231, -0.651066243648529, -0.3525446057319641]


def test_voyage_embeddings_are_the_hash_of_what_was_sent(api, picture):
    text = {"type": "text", "text": "a red square"}
    image = {"type": "image_base64", "image_base64": data_url(picture, "WEBP")}
    status, _, answer = post(api.url + "/v1/multimodalembeddings",
                             voyage_body([text, image], [text]), VOYAGE_AUTH)  # fmt: skip
    assert status == 200
    first = struct.unpack("<1024f", base64.b64decode(answer["data"][0]["embedding"]))
    segments = ["text:a red square", pil_image_key(picture, "WEBP")]
    assert list(first) == expected_vector("voyage", "voyage-multimodal-3", segments, 1024,
                                          seed=3, input_type="query")  # fmt: skip
    assert answer["usage"] == {"text_tokens": 6, "image_pixels": 240, "video_pixels": 0,
                               "total_tokens": 7}  # fmt: skip
    assert api.requests[-1].body["inputs"][1]["content"] == [text]


def test_planned_rate_limit_and_server_errors_then_success(api):
    api.fail_next(429, retry_after=2)
    api.fail_next(503, times=2)
    url, body = api.url + "/v1/multimodalembeddings", voyage_body([{"type": "text", "text": "x"}])
    answers = [post(url, body, VOYAGE_AUTH) for _ in range(4)]
    assert [a[0] for a in answers] == [429, 503, 503, 200]
    assert answers[0][1]["Retry-After"] == "2"
    assert "detail" in answers[0][2]
    assert api.count("/multimodalembeddings") == 4
    assert api.count(status=503) == 2


def test_rate_limit_window(api):
    api.rate_limit = (2, 60.0)
    url, body = api.url + "/v1/multimodalembeddings", voyage_body([{"type": "text", "text": "x"}])
    statuses = [post(url, body, VOYAGE_AUTH) for _ in range(3)]
    assert [s[0] for s in statuses] == [200, 200, 429]
    assert 59 <= int(statuses[2][1]["Retry-After"]) <= 60


def test_limits_and_keys_are_enforced(api):
    url = api.url + "/v1/multimodalembeddings"
    too_many = voyage_body(*[[{"type": "text", "text": "x"}]] * 1001)
    assert post(url, too_many, VOYAGE_AUTH)[0] == 400
    assert post(url, voyage_body([{"type": "text", "text": "x"}]))[0] == 401
    assert post(url, voyage_body([{"type": "text", "text": "x"}], input_type="passage"),
                VOYAGE_AUTH)[0] == 400  # fmt: skip


def test_cohere_texts_images_and_quantised_types(api, picture):
    url, auth = api.url + "/v2/embed", {"Authorization": "Bearer co-test"}
    body = {"model": "embed-v4.0", "input_type": "search_query",
            "embedding_types": ["float", "int8"], "texts": ["a", "b c"]}  # fmt: skip
    status, _, answer = post(url, body, auth)
    assert status == 200 and len(answer["embeddings"]["float"]) == 2
    assert answer["embeddings"]["float"][1] == expected_vector(
        "cohere", "embed-v4.0", ["text:b c"], 1536, seed=3, input_type="search_query"
    )
    assert max(abs(i) for i in answer["embeddings"]["int8"][0]) == 127
    image = data_url(picture, "PNG")
    v3 = {"model": "embed-english-v3.0", "embedding_types": ["float"], "images": [image]}
    assert post(url, {**v3, "input_type": "search_document"}, auth)[0] == 400
    status, _, answer = post(url, {**v3, "input_type": "image"}, auth)
    assert status == 200 and answer["images"][0]["width"] == 20
    assert post(url, {**v3, "input_type": "image", "images": [image, image]}, auth)[0] == 400
    assert post(url, {**body, "texts": ["x"] * 97}, auth)[0] == 400
    assert post(api.url + "/v1/models/embed-v4.0", None, auth, method="GET")[0] == 404
    assert post(api.url + "/v1/tokenize", {"text": "a b", "model": "m"}, auth)[2][
        "token_strings"
    ] == ["a", "b"]


def test_gemini_batch_and_rate_limit_hint(api, picture):
    url = api.url + "/v1beta/models/gemini-embedding-2:batchEmbedContents?key=g"
    png = base64.urlsafe_b64encode(base64.b64decode(data_url(picture, "PNG").split(",")[1]))
    part = {"inline_data": {"mime_type": "image/png", "data": png.decode()}}
    content = {"role": "user", "parts": [{"text": "hi"}, part]}
    body = {"requests": [{"model": "models/gemini-embedding-2", "outputDimensionality": 8,
                          "content": content}]}  # fmt: skip
    status, _, answer = post(url, body)
    assert status == 200
    assert answer["embeddings"][0]["values"] == expected_vector(
        "gemini",
        "gemini-embedding-2",
        ["text:hi", pil_image_key(picture, "PNG")],
        8,
        seed=3,
        output_dimensionality=8,
    )
    api.fail_next(429, retry_after=1.5)
    status, _, answer = post(url, body)
    assert status == 429 and "Please retry in 1.5s." in answer["error"]["message"]
    assert answer["error"]["status"] == "RESOURCE_EXHAUSTED"


def test_control_endpoints_drive_the_server_from_another_process(api):
    post(api.url + "/_fake/fail", {"status": 500, "times": 1, "path": "/v2/"})
    auth = {"Authorization": "Bearer co"}
    body = {"model": "embed-v4.0", "input_type": "clustering", "texts": ["x"]}
    assert post(api.url + "/v2/embed", body, auth)[0] == 500
    assert post(api.url + "/v2/embed", body, auth)[0] == 200
    log = post(api.url + "/_fake/requests", None, method="GET")[2]
    assert [r["status"] for r in log] == [500, 200] and log[0]["body"] == body
    post(api.url + "/_fake/reset", {})
    assert api.requests == []
