"""pytest-mieb's side of the API families: its own API encoders against the loopback fake.

The same fake server (`benchmarks/fakeapis`, seeded from the `fakeapi` checkpoint) as the
mteb side, with the same planned failures before the first request (so our retries get past
them too), and a fresh API cache directory, so every vector comes from a request. Each call of
`mteb_side._probe_loaders.CALLS` is made on the encoder directly, with the probe inputs as mteb
gets them (images in their own mode: RGBA, L and P stay so) and the call's task and side as
``context=`` (the encoders read its ``side``). (A run goes through the embedder, whose data
layer hands every model RGB images; for Gemini, which sends an image's own mode, that differs
from mteb on non-RGB images: see `pytest_mieb/models/api/gemini.py`.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from parity_families import probes
from parity_families.mteb_side._fake_api import check_recovered, environment, fake_server
from parity_families.mteb_side._probe_loaders import CALLS

__all__ = ["CALLS", "api_session", "check_recovered", "encode_call", "environment"]

#: The task type of each task `CALLS` names (mteb's metadata).
TASK_TYPES = {
    "VidoreDocVQARetrieval": "DocumentUnderstanding",
    "CIRRIT2IRetrieval": "Any2AnyRetrieval",
    "CIFAR10ZeroShot": "ZeroShotClassification",
    "CIFAR10": "ImageClassification",
}


@contextmanager
def api_session(checkpoint: Path, **variables: str) -> Iterator:
    """The fake server, the environment `variables` (``{url}`` replaced by its URL) and an
    empty API cache for pytest-mieb's session settings."""
    from pytest_mieb.models.api import settings

    with fake_server(checkpoint) as api, tempfile.TemporaryDirectory() as cache:
        filled = {k: v.format(url=api.url) for k, v in variables.items()}
        with environment(MIEB_API_CACHE_DIR=cache, **filled):
            os.environ.pop(settings.MAX_REQUESTS_VARIABLE, None)
            settings.configure()
            try:
                yield api
            finally:
                settings.forget()


def encode_call(encoder, key: str) -> np.ndarray:
    """One of `CALLS` through a pytest-mieb encoder, as a float64 array."""
    _, kind, task, side = next(c for c in CALLS if c[0] == key)
    context = probes.ProbeContext(task, TASK_TYPES[task], "", side)
    texts, images = list(probes.TEXTS), probes.images()
    if kind == "text":
        out = encoder.encode_texts(texts, context=context)
    elif kind == "image":
        out = encoder.encode_images(images, context=context)
    else:
        out = encoder.encode_fused(images, texts, context=context)
    return np.asarray(out, dtype=np.float64)
