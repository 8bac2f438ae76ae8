"""Text inputs: length-sorted batching, original order restored, duplicates encoded once."""

from __future__ import annotations

import math

import numpy as np
import pytest
from embed_fakes import FakeEncoder, PromptAwareEncoder, text_features

from pytest_mieb.data.containers import Inputs
from pytest_mieb.embed.embedder import Embedder

TEXTS = ["a", "a much longer sentence here", "mid length", "", "zz", "the longest sentence of all"]


def expected(texts: list[str]) -> np.ndarray:
    return np.stack([text_features(t) for t in texts])


def test_rows_come_back_in_input_order_although_batches_are_length_sorted() -> None:
    encoder = FakeEncoder()
    embedder = Embedder(encoder, batch_size=2, memory_cache_bytes=0)
    out = embedder.embed(Inputs(key="t", texts=TEXTS))
    np.testing.assert_array_equal(out, expected(TEXTS))
    sent = [t for batch in encoder.text_batches for t in batch]
    assert sorted(sent) == sorted(TEXTS)
    lengths = [len(t) for t in sent]
    assert lengths == sorted(lengths, reverse=True)
    assert [len(b) for b in encoder.text_batches] == [2, 2, 2]


def test_duplicate_texts_in_one_request_are_encoded_once() -> None:
    texts = ["cat", "dog", "cat", "cat", "bird", "dog"]
    encoder = FakeEncoder()
    embedder = Embedder(encoder, batch_size=4)
    out = embedder.embed(Inputs(key="dups", texts=texts))
    np.testing.assert_array_equal(out, expected(texts))
    assert encoder.texts_encoded == 3
    assert embedder.stats.encoded["text"] == 3
    assert embedder.stats.batches["text"] == 1


def test_batch_count_and_sizes_follow_batch_size() -> None:
    texts = [f"text number {i}" for i in range(70)]
    encoder = FakeEncoder()
    Embedder(encoder, batch_size=32).embed(Inputs(key="many", texts=texts))
    assert len(encoder.text_batches) == math.ceil(70 / 32)
    assert max(len(b) for b in encoder.text_batches) == 32
    assert encoder.texts_encoded == 70


def test_non_string_text_is_reported_with_key_and_row() -> None:
    embedder = Embedder(FakeEncoder())
    with pytest.raises(ValueError, match=r"'ds/test/text'.*row 2.*NoneType"):
        embedder.embed(Inputs(key="ds/test/text", texts=["a", "b", None]))  # type: ignore[list-item]


def test_prompt_type_is_passed_to_encoders_that_take_it_and_keys_the_cache() -> None:
    encoder = PromptAwareEncoder()
    embedder = Embedder(encoder)
    inputs = Inputs(key="q", texts=["one", "two"])
    queries = embedder.embed(inputs, prompt_type="query")
    documents = embedder.embed(inputs, prompt_type="document")
    again = embedder.embed(inputs, prompt_type="query")
    assert encoder.prompt_types == ["query", "document"]
    np.testing.assert_array_equal(queries, expected(["query: one", "query: two"]))
    np.testing.assert_array_equal(documents, expected(["document: one", "document: two"]))
    assert again is queries


def test_encoders_without_prompt_type_share_one_encode_across_prompt_types() -> None:
    encoder = FakeEncoder()
    embedder = Embedder(encoder)
    inputs = Inputs(key="same column", texts=["x", "y", "z"])
    first = embedder.embed(inputs, prompt_type="query")
    second = embedder.embed(inputs, prompt_type="document")
    third = embedder.embed(inputs)
    assert encoder.texts_encoded == 3
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, third)
    assert embedder.stats.memory_hits == 2
