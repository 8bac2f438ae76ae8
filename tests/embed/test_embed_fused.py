"""Fused image+text inputs: item k of each side stays together through batching."""

from __future__ import annotations

import numpy as np
import pytest
from embed_fakes import (
    FakeEncoder,
    decode_in_workers,
    expected_image_embedding,
    random_images,
    text_features,
)

from pytest_mieb.data.containers import Inputs
from pytest_mieb.embed.embedder import Embedder


def test_fused_rows_pair_image_k_with_text_k_in_order() -> None:
    images = random_images(7, seed=7)
    images[2] = images[2].convert("L")
    texts = [f"question {i}" + "?" * (7 - i) for i in range(7)]
    encoder = FakeEncoder()
    out = Embedder(encoder, batch_size=3, num_workers=0).embed(
        Inputs(key="fused", images=images, texts=texts)
    )
    want = np.stack(
        [
            expected_image_embedding(im) + text_features(t)
            for im, t in zip(images, texts, strict=True)
        ]
    )
    np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-6)
    assert [len(b[0]) for b in encoder.fused_batches] == [3, 3, 1]
    assert [t for _, batch_texts in encoder.fused_batches for t in batch_texts] == texts
    assert all(im.mode == "RGB" for batch_images, _ in encoder.fused_batches for im in batch_images)
    assert encoder.images_encoded == 0 and encoder.texts_encoded == 0  # fused path only


def test_fused_inputs_work_through_worker_processes_and_are_cached() -> None:
    images = random_images(5, seed=8)
    texts = ["a", "b", "c", "d", "e"]
    encoder = FakeEncoder()
    embedder = Embedder(encoder, batch_size=2, num_workers=2)
    decode_in_workers(embedder)
    inputs = Inputs(key="fused-w", images=images, texts=texts)
    first = embedder.embed(inputs)
    second = embedder.embed(Inputs(key="fused-w", images=images, texts=texts))
    assert second is first
    assert embedder.stats.encoded["image+text"] == 5
    assert len(encoder.fused_batches) == 3


def test_fused_corrupt_image_names_key_and_row() -> None:
    images: list = list(random_images(3))
    images[1] = b"garbage"
    with pytest.raises(ValueError, match=r"'it2t/queries'.*row 1"):
        Embedder(FakeEncoder(), num_workers=0).embed(
            Inputs(key="it2t/queries", images=images, texts=["x", "y", "z"])
        )
