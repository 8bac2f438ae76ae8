"""fakeapis: a loopback HTTP server speaking the embedding APIs MIEB's API models use.

Voyage multimodal (`voyage.py`), Cohere embed v2 (`cohere.py`) and the Gemini API
(`gemini.py`), with deterministic embeddings derived from a hash of what was sent
(`vectors.py`), a log of every request, failures on demand (429 with Retry-After, 5xx) and an
optional rate limit (`server.py`). Tests start it in-process:

    from fakeapis import FakeAPIServer, expected_vector
    with FakeAPIServer(seed=0) as api:
        ...  # point a client at api.url

or as a process: `python -m fakeapis --port 8765` (prints the URL; control it through the
`/_fake/` endpoints). Only the standard library and Pillow (to hash decoded image pixels) are
needed, so both the project's venv and mteb's can run it.
"""

from __future__ import annotations

from fakeapis.server import FakeAPIServer, Reply, Request
from fakeapis.vectors import canonical_key, expected_vector, pil_image_key

__all__ = ["FakeAPIServer", "Reply", "Request", "canonical_key", "expected_vector",
           "pil_image_key"]  # fmt: skip
