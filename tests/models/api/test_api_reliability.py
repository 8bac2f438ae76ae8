"""Retries with backoff, refusals in one line, the request budget, and the API cache: an
interrupted or repeated run never pays twice for an embedding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from api_inputs import picture

from pytest_mieb.models.api import usage
from pytest_mieb.models.api.errors import ApiBudgetExceeded, ApiRequestError


def test_rate_limits_and_server_errors_are_retried_with_backoff(
    api: Any, make: Any, waits: list[float]
) -> None:
    api.fail_next(429, retry_after=5)
    api.fail_next(503)
    api.fail_next(502)
    out = make("voyageai/voyage-multimodal-3").encode_texts(["a", "b"])
    assert [r.status for r in api.requests] == [429, 503, 502, 200]
    assert waits == [5.0, 2.0, 4.0]  # Retry-After honoured, else 1, 2, 4, ... s by attempt
    assert out.shape == (2, 1024)
    counts = usage.snapshot()["voyageai/voyage-multimodal-3"]
    assert (counts["requests"], counts["retries"], counts["inputs"]) == (4, 3, 2)


def test_a_gemini_retry_hint_is_read_from_the_message(api: Any, make: Any, waits: list) -> None:
    from pytest_mieb.models.api.transport import retry_after

    assert retry_after({}, "Quota exceeded. Please retry in 0.25s.") == 0.25
    assert retry_after({"retry-after": "3"}, "Please retry in 9s.") == 3.0
    api.fail_next(429, retry_after=0.2)  # Retry-After: 1 and the hint in the message
    make("google/gemini-embedding-2").encode_texts(["x"])
    assert waits == [1.0]


def test_a_refused_request_is_one_line_and_not_retried(api: Any, make: Any) -> None:
    api.fail_next(401)
    with pytest.raises(ApiRequestError) as info:
        make("cohere/embed-english-v3.0").encode_texts(["x"])
    message = str(info.value)
    assert message == (
        "Cohere API refused the request for embed-english-v3.0: HTTP 401: fake planned: "
        "HTTP 401; check CO_API_KEY or COHERE_API_KEY (not retried)"
    )
    assert api.count("/v2/embed") == 1


def test_retries_end_with_the_last_answer(api: Any, make: Any, waits: list[float]) -> None:
    api.fail_next(500, times=20)
    with pytest.raises(ApiRequestError, match="after 8 attempts; last answer: HTTP 500"):
        make("google/gemini-embedding-2").encode_texts(["x"])
    assert api.count(":batchEmbedContents") == 8
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0]  # capped at 60 s


def test_the_budget_stops_before_sending_and_a_rerun_pays_only_the_rest(
    api: Any, make: Any
) -> None:
    images = [picture(k) for k in range(5)]  # v3 models: one image per request
    with pytest.raises(ApiBudgetExceeded, match="budget of 3 requests is used up"):
        make("cohere/embed-english-v3.0", max_requests=3).encode_images(images)
    assert api.count("/v2/embed") == 3
    usage.reset()  # a new session
    out = make("cohere/embed-english-v3.0", max_requests=3).encode_images(images)
    assert api.count("/v2/embed") == 5
    assert usage.snapshot()["cohere/embed-english-v3.0"]["cached"] == 3
    assert out.shape == (5, 1024)


def test_retries_count_against_the_budget(api: Any, make: Any) -> None:
    api.fail_next(503, times=2)
    with pytest.raises(ApiBudgetExceeded):
        make("voyageai/voyage-multimodal-3", max_requests=2).encode_texts(["x"])
    assert api.count("/multimodalembeddings") == 2


def test_processes_of_one_run_share_one_budget(api: Any, make: Any) -> None:
    make("google/gemini-embedding-2", max_requests=2, run_id="run-1").encode_texts(["a"])
    usage.reset()  # what another xdist worker would start with
    other = make("google/gemini-embedding-2", max_requests=2, run_id="run-1")
    other.encode_texts(["b"])
    with pytest.raises(ApiBudgetExceeded):
        other.encode_texts(["c"])
    # another run has its own budget
    make("google/gemini-embedding-2", max_requests=2, run_id="run-2").encode_texts(["c"])
    assert api.count(":batchEmbedContents") == 3


def test_a_repeated_run_sends_nothing_and_gets_the_same_vectors(
    api: Any, make: Any, cache_dir: Path
) -> None:
    from pytest_mieb.models.api import store

    images, texts = [picture(1), picture(2)], ["one", "two"]
    first = make("voyageai/voyage-multimodal-3").encode_fused(images, texts, prompt_type="query")
    sent = api.count()
    store._stores.clear()  # a new process opens the database afresh
    usage.reset()
    again = make("voyageai/voyage-multimodal-3").encode_fused(images, texts, prompt_type="query")
    assert api.count() == sent
    np.testing.assert_array_equal(first, again)
    assert usage.snapshot()["voyageai/voyage-multimodal-3"]["cached"] == 2
    assert (cache_dir / "embeddings.sqlite3").is_file()


def test_cache_entries_separate_what_changes_the_request(api: Any, make: Any) -> None:
    enc = make("voyageai/voyage-multimodal-3")
    enc.encode_texts(["a"], prompt_type="query")
    enc.encode_texts(["a"], prompt_type="document")
    enc.encode_texts(["a"], prompt_type=None)  # a document for Voyage, as in mteb
    assert api.count() == 2
    make("api:voyage/voyage-multimodal-3.5").encode_texts(["a"], prompt_type="query")
    assert api.count() == 3
    gemini = make("google/gemini-embedding-2")
    gemini.encode_texts(["a"], prompt_type="query")
    gemini.encode_texts(["a"], prompt_type="document")  # the same request for Gemini
    assert api.count() == 4


def test_duplicates_in_a_call_are_sent_once(api: Any, make: Any) -> None:
    out = make("google/gemini-embedding-2").encode_texts(["same", "other", "same"])
    (request,) = [r for r in api.requests if r.provider]
    assert len(request.body["requests"]) == 2
    np.testing.assert_array_equal(out[0], out[2])


def test_an_answer_of_the_wrong_dimension_is_refused(api: Any, make: Any) -> None:
    enc = make("voyageai/voyage-multimodal-3")
    enc.embed_dim = 8
    with pytest.raises(ApiRequestError, match=r"returned dimension 1024 .* expected 8"):
        enc.encode_texts(["x"])
