"""The on-disk cache keys each file on the whole data identity: dataset, config, split, column.

Each case caches two columns of equal length but different content, then reads both back in
a fresh embedder (empty memory), so every vector comes from a file. The stand-in score is
top-1 retrieval of permuted, slightly noisy copies: 1.0 with the right vectors, 0.0 when one
column's file is served for the other (the permutation has no fixed point).
"""

from __future__ import annotations

import numpy as np
import pytest
from embed_fakes import FakeEncoder, expected_image_embedding
from PIL import Image

from pytest_mieb.data.containers import Inputs
from pytest_mieb.embed.embedder import Embedder
from pytest_mieb.evaluators.base import l2_normalize

N = 8
#: Query i is a noisy copy of corpus image PERMUTATION[i]; no i maps to itself.
PERMUTATION = np.roll(np.arange(N), 3)


def coloured_images(colours: np.ndarray, seed: int) -> list[Image.Image]:
    """16x16 images of the given colours with a little pixel noise."""
    rng = np.random.default_rng(seed)
    images = []
    for colour in colours:
        noise = rng.integers(-4, 5, (16, 16, 3))
        pixels = np.clip(colour[None, None, :] + noise, 0, 255).astype(np.uint8)
        images.append(Image.fromarray(pixels, "RGB"))
    return images


def corpus_and_queries() -> tuple[list[Image.Image], list[Image.Image]]:
    colours = np.random.default_rng(0).integers(20, 236, (N, 3))
    return coloured_images(colours, seed=1), coloured_images(colours[PERMUTATION], seed=2)


def top1_accuracy(queries: np.ndarray, corpus: np.ndarray) -> float:
    scores = l2_normalize(queries) @ l2_normalize(corpus).T
    return float(np.mean(scores.argmax(axis=1) == PERMUTATION))


KEY_PAIRS = {
    "queries and corpus configs": ("ds@r1/queries/test/image", "ds@r1/corpus/test/image"),
    "two columns of one split": ("ds@r1/default/test/image_1", "ds@r1/default/test/image_0"),
    "two splits of one column": ("ds@r1/default/train/img", "ds@r1/default/test/img"),
    "two revisions": ("ds@r2/default/test/img", "ds@r1/default/test/img"),
}


@pytest.mark.parametrize("query_key,corpus_key", KEY_PAIRS.values(), ids=list(KEY_PAIRS))
def test_each_column_reads_back_its_own_vectors_from_disk(
    tmp_path, query_key: str, corpus_key: str
) -> None:
    corpus_images, query_images = corpus_and_queries()
    queries = Inputs(key=query_key, images=query_images)
    corpus = Inputs(key=corpus_key, images=corpus_images)
    uncached = Embedder(FakeEncoder(), num_workers=0, memory_cache_bytes=0)
    assert top1_accuracy(uncached.embed(queries), uncached.embed(corpus)) == 1.0

    cold = Embedder(FakeEncoder(), num_workers=0, memory_cache_bytes=0, cache_dir=tmp_path)
    cold_score = top1_accuracy(cold.embed(queries), cold.embed(corpus))
    assert len(list(tmp_path.rglob("*.npy"))) == 2
    encoder = FakeEncoder()
    warm = Embedder(encoder, num_workers=0, memory_cache_bytes=0, cache_dir=tmp_path)
    got_queries, got_corpus = warm.embed(queries), warm.embed(corpus)
    assert encoder.images_encoded == 0 and warm.stats.disk_hits == 2
    assert (cold_score, top1_accuracy(got_queries, got_corpus)) == (1.0, 1.0)
    want = [
        np.stack([expected_image_embedding(im) for im in ims])
        for ims in (query_images, corpus_images)
    ]
    np.testing.assert_allclose(got_queries, want[0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got_corpus, want[1], rtol=1e-6, atol=1e-7)


def test_text_columns_of_one_dataset_are_cached_apart(tmp_path) -> None:
    captions = Inputs(key="ds@r1/default/test/caption_0", texts=[f"a {i}" for i in range(N)])
    negatives = Inputs(key="ds@r1/default/test/caption_1", texts=[f"b {i}" for i in range(N)])
    first = Embedder(FakeEncoder(), cache_dir=tmp_path)
    written = [first.embed(captions), first.embed(negatives)]
    encoder = FakeEncoder()
    again = Embedder(encoder, cache_dir=tmp_path)
    read = [again.embed(captions), again.embed(negatives)]
    assert encoder.texts_encoded == 0
    assert not np.allclose(read[0], read[1])
    for got, want in zip(read, written, strict=True):
        np.testing.assert_array_equal(got, want)
