"""Weight-free baselines: floors to compare real models against, and offline smoke tests.

* ``baseline/random``: a seeded standard-normal vector per input, seeded from a hash of
  the input's content (RGB pixels + size for images, UTF-8 bytes for texts), so the same
  image or text always gets the same vector in any process, and different inputs get
  unrelated ones. Any score it reaches is chance level.
* ``baseline/pixels``: images are shrunk to 16x16 RGB, flattened with a constant bias
  feature appended, and sent through a fixed seeded Gaussian random projection; texts are
  hashed character 1-3-grams (lower-cased, with word-boundary marks) counted with random
  signs into the same number of buckets, plus one always-present bias bucket. Near-
  duplicate images and texts sharing character n-grams get similar vectors, nothing more.
  The projection is done on whole numbers (the 0-255 pixel levels times weights quantised
  to 20 fractional bits) in float64, where every partial sum is exact: a row's vector is
  the same bits whatever the batch it comes in, the thread count or the BLAS kernel, so a
  serial run and an xdist run (which batch differently) score the same to the last digit.

Both give non-zero, finite vectors for every input (the bias terms cover black images and
the empty text), one dimension for both modalities, and fused image+text = the sum of the
two, as for CLIP-like models. ``revision`` is the version of the recipe: bump
`BASELINE_REVISION` whenever an output could change, since caches key on it.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from pytest_mieb.data.images import to_rgb
from pytest_mieb.models.fingerprints import fingerprint
from pytest_mieb.models.towers import DualTowerEncoder

BASELINE_REVISION = "v2"
EMBED_DIM = 256
PIXEL_SIDE = 16
PROJECTION_SEED = 20250101
_DIGEST_BYTES = 32


def content_digest(kind: str, payload: bytes) -> bytes:
    return hashlib.sha256(kind.encode() + b"\0" + payload).digest()


def image_bytes(image: Any) -> bytes:
    """An image's identity: size + RGB pixel bytes."""
    rgb = to_rgb(image)
    return f"{rgb.size[0]}x{rgb.size[1]}:".encode() + rgb.tobytes()


def seeded_vector(digest: bytes, dim: int = EMBED_DIM) -> np.ndarray:
    seed = int.from_bytes(digest[:16], "little")
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32)


def digest_tensor(image: Any) -> Any:
    """Image transform of the random baseline: the content digest as a (1, 1, 32) tensor."""
    import torch

    digest = content_digest("image", image_bytes(image))
    return torch.tensor(list(digest), dtype=torch.float32).reshape(1, 1, _DIGEST_BYTES)


def small_pixels(image: Any) -> Any:
    """Image transform of the pixels baseline: (3, 16, 16) floats in [0, 1]."""
    import torch
    from PIL import Image

    small = to_rgb(image).resize((PIXEL_SIDE, PIXEL_SIDE), Image.Resampling.BILINEAR)
    array = np.asarray(small, dtype=np.float32) / 255.0
    return torch.from_numpy(array.transpose(2, 0, 1).copy())


def char_ngram_features(text: str, dim: int = EMBED_DIM) -> np.ndarray:
    """Signed hashed counts of character 1-3-grams, plus a bias bucket (never all-zero)."""
    vec = np.zeros(dim, dtype=np.float32)
    vec[0] += 1.0  # bias: the empty text still has a direction
    for word in text.lower().split():
        marked = f"<{word}>"
        for n in (1, 2, 3):
            for i in range(len(marked) - n + 1):
                h = zlib.crc32(marked[i : i + n].encode())
                bucket = 1 + h % (dim - 1)
                vec[bucket] += 1.0 if (h >> 31) & 1 else -1.0
    return vec


#: Fractional bits kept of each projection weight: |weight| < 2**23, so a row's sum of
#: 769 products with levels <= 255 stays below 2**42, far inside float64's exact integers.
WEIGHT_BITS = 20


def projection_matrix(dim: int = EMBED_DIM) -> np.ndarray:
    """Whole-number weights (float64): Gaussian, scaled by 2**WEIGHT_BITS and rounded."""
    n_in = 3 * PIXEL_SIDE * PIXEL_SIDE + 1
    rng = np.random.default_rng(PROJECTION_SEED)
    return np.round(rng.standard_normal((n_in, dim)) * 2.0**WEIGHT_BITS)


def projection_scale() -> float:
    """Turns a whole-number sum back into the Gaussian projection of pixels in [0, 1]."""
    n_in = 3 * PIXEL_SIDE * PIXEL_SIDE + 1
    return 1.0 / (255.0 * 2.0**WEIGHT_BITS * float(np.sqrt(n_in)))


class _Baseline(DualTowerEncoder):
    similarity = "cosine"
    embed_dim = EMBED_DIM
    revision = BASELINE_REVISION
    device = "cpu"

    def __init__(self, name: str) -> None:
        self.name = name
        self._fingerprint = fingerprint(
            {"adapter": "baseline", "name": name, "revision": self.revision, "dim": self.embed_dim}
        )

    @property
    def fingerprint(self) -> str:
        return self._fingerprint


class RandomBaseline(_Baseline):
    """``baseline/random``."""

    def __init__(self) -> None:
        super().__init__("baseline/random")

    @property
    def image_transform(self) -> Any:
        return digest_tensor

    def encode_pixels(self, pixels: Any) -> Any:
        import torch

        digests = pixels.reshape(pixels.shape[0], -1).round().to(torch.uint8).cpu().numpy()
        return torch.from_numpy(np.stack([seeded_vector(d.tobytes()) for d in digests]))

    def encode_texts(self, texts: Sequence[str]) -> Any:
        import torch

        vectors = [seeded_vector(content_digest("text", t.encode("utf-8"))) for t in texts]
        return torch.from_numpy(np.stack(vectors))


class PixelsBaseline(_Baseline):
    """``baseline/pixels``: the offline default model."""

    def __init__(self) -> None:
        super().__init__("baseline/pixels")
        self._projection = None  # built on first use, as a float64 tensor
        self._scale = projection_scale()

    @property
    def image_transform(self) -> Any:
        return small_pixels

    def encode_pixels(self, pixels: Any) -> Any:
        import torch

        if self._projection is None:
            self._projection = torch.from_numpy(projection_matrix())
        flat = pixels.reshape(pixels.shape[0], -1).double().cpu()
        levels = torch.round(flat * 255.0)  # the 0-255 levels `small_pixels` divided by 255
        bias = torch.full((flat.shape[0], 1), 255.0, dtype=torch.float64)
        sums = torch.cat([levels, bias], dim=1) @ self._projection  # exact: whole numbers
        return (sums * self._scale).float()

    def encode_texts(self, texts: Sequence[str]) -> Any:
        import torch

        return torch.from_numpy(np.stack([char_ngram_features(t) for t in texts]))


def load_baseline(kind: str) -> _Baseline:
    return {"random": RandomBaseline, "pixels": PixelsBaseline}[kind]()
