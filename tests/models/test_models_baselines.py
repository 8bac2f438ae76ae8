"""Weight-free baselines: deterministic, content-keyed, never zero, one shared dimension."""

from __future__ import annotations

import hashlib
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from pytest_mieb.models import Encoder, load_encoder
from pytest_mieb.models.baselines import EMBED_DIM, char_ngram_features

TEXTS = ["a photo of a cat", "", "   ", "Ünïcødé ✓", "a photo of a dog"]


def _images() -> list[Image.Image]:
    rng = np.random.default_rng(7)
    noisy = Image.fromarray(rng.integers(0, 256, (20, 30, 3), dtype=np.uint8))
    black = Image.new("RGB", (16, 16))
    white_l = Image.new("L", (8, 40), 255)
    return [noisy, black, white_l]


@pytest.fixture(params=["baseline/random", "baseline/pixels"])
def baseline(request) -> Encoder:
    return load_encoder(request.param)


def test_is_an_encoder_with_one_dimension_for_both_modalities(baseline) -> None:
    assert isinstance(baseline, Encoder)
    assert baseline.embed_dim == EMBED_DIM
    assert baseline.encode_texts(TEXTS).shape == (len(TEXTS), EMBED_DIM)
    assert baseline.encode_images(_images()).shape == (3, EMBED_DIM)


def test_every_vector_is_finite_and_non_zero(baseline) -> None:
    for emb in (baseline.encode_texts(TEXTS), baseline.encode_images(_images())):
        assert torch.isfinite(emb).all()
        assert (emb.abs().sum(dim=1) > 0).all()


def test_same_content_same_vector_across_instances(baseline) -> None:
    again = load_encoder(baseline.name)
    copies = [im.copy() for im in _images()]
    torch.testing.assert_close(again.encode_images(copies), baseline.encode_images(_images()))
    torch.testing.assert_close(again.encode_texts(TEXTS), baseline.encode_texts(TEXTS))
    assert again.fingerprint == baseline.fingerprint


def test_distinct_inputs_give_distinct_vectors(baseline) -> None:
    texts = baseline.encode_texts(["cat", "dog", "a cat", ""])
    images = baseline.encode_images(_images())
    for emb in (texts, images):
        dists = torch.cdist(emb, emb) + torch.eye(len(emb))
        assert (dists > 1e-3).all()


def test_pixel_path_matches_pil_path_and_transform_pickles(baseline) -> None:
    transform = pickle.loads(pickle.dumps(baseline.image_transform))
    pixels = torch.stack([transform(im.convert("RGB")) for im in _images()])
    torch.testing.assert_close(baseline.encode_pixels(pixels), baseline.encode_images(_images()))


def test_fused_is_the_sum(baseline) -> None:
    images, texts = _images(), ["x", "", "a dog"]
    torch.testing.assert_close(
        baseline.encode_fused(images, texts),
        baseline.encode_images(images) + baseline.encode_texts(texts),
    )


def test_random_text_vector_is_seeded_by_the_text_hash() -> None:
    encoder = load_encoder("baseline/random")
    seed = int.from_bytes(hashlib.sha256(b"text\0hello").digest()[:16], "little")
    want = np.random.default_rng(seed).standard_normal(EMBED_DIM).astype(np.float32)
    np.testing.assert_array_equal(encoder.encode_texts(["hello"]).numpy()[0], want)


def test_random_vectors_are_the_same_in_a_fresh_process() -> None:
    code = (
        "from pytest_mieb.models import load_encoder;"
        "print(float(load_encoder('baseline/random').encode_texts(['stable?']).sum()))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    here = float(load_encoder("baseline/random").encode_texts(["stable?"]).sum())
    assert float(out.stdout) == pytest.approx(here, rel=1e-6)


def test_pixels_baseline_puts_near_duplicate_images_closest() -> None:
    encoder = load_encoder("baseline/pixels")
    rng = np.random.default_rng(3)
    base = rng.integers(0, 200, (32, 32, 3), dtype=np.uint8)
    images = [
        Image.fromarray(base),
        Image.fromarray(base + 10),  # slightly brighter copy
        Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)),
    ]
    emb = torch.nn.functional.normalize(encoder.encode_images(images), dim=1)
    sims = emb @ emb.T
    assert sims[0, 1] > sims[0, 2]


def test_char_ngram_counts_add_up_and_keep_a_bias() -> None:
    bias = np.zeros(EMBED_DIM, dtype=np.float32)
    bias[0] = 1.0
    np.testing.assert_array_equal(char_ngram_features(""), bias)
    one = char_ngram_features("ab") - bias
    np.testing.assert_array_equal(char_ngram_features("ab ab") - bias, 2 * one)
    np.testing.assert_array_equal(char_ngram_features("AB"), char_ngram_features("ab"))
    # "ab" has 9 n-grams (<, a, b, >, <a, ab, b>, <ab, ab>): their signed counts
    assert np.abs(one).sum() <= 9 and np.abs(one).sum() % 2 == 1


def test_pixel_vectors_do_not_depend_on_batch_or_thread_count() -> None:
    """Bit for bit: xdist workers batch rows differently from a serial run (a row subset is
    encoded on its own there, sliced from its cached column here), and use other thread
    counts; float32 matrix kernels round differently for small batches."""
    encoder = load_encoder("baseline/pixels")
    pixels = torch.stack([encoder.image_transform(im) for im in _images() * 20])
    whole = encoder.encode_pixels(pixels)
    previous = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            for size in (1, 7, 32):
                parts = [encoder.encode_pixels(pixels[i : i + size]) for i in range(0, 60, size)]
                assert torch.equal(torch.cat(parts), whole), (threads, size)
    finally:
        torch.set_num_threads(previous)
