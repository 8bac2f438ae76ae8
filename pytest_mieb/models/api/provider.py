"""What an embedding API must say for the generic `ApiEncoder`: one subclass per vendor.

A provider turns inputs into request payloads and answers into vectors; the encoder does
the rest (cache, batching under `Limits`, budget, usage, retries). An input is a tuple of
segments in order, each a text (`str`) or a PIL image; `kind` is the embedder's input kind
("text", "image", "image+text"), `side` the retrieval side ("query", "document") or None.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, ClassVar

from pytest_mieb.models.api.catalog import ApiModelId
from pytest_mieb.models.api.errors import missing_key

Segment = Any  # str | PIL.Image.Image
Item = tuple[Segment, ...]
MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """What one request may carry (documented API limits; `max_bytes` is our own bound)."""

    max_items: int
    max_tokens: int | None = None
    max_bytes: int = 20 * MIB


@dataclass
class Prepared:
    """One input as it goes into a request, and what it costs against the `Limits`."""

    payload: Any
    tokens: int = 0  # an upper estimate
    size: int = 0  # bytes it adds to the body (roughly)
    images: int = 0


@dataclass
class Parsed:
    """A successful answer: one float vector per input, in order, and the tokens billed."""

    vectors: list[Any]
    tokens: int = 0


class Provider:
    title: ClassVar[str]
    #: Environment variables holding the key, in the order they are read.
    key_variables: ClassVar[tuple[str, ...]]
    base_url_variable: ClassVar[str]
    #: Bump when what is sent changes: cached answers of the old format stop matching.
    format_version: ClassVar[int] = 1
    #: An image+text input is embedded as text + image, the two vectors summed.
    fuses_by_sum: bool = False

    def __init__(self, ref: ApiModelId, key: str, base_url: str | None = None) -> None:
        self.ref = ref
        self.model = ref.model
        self.key = key
        self.base_url = (base_url or self.default_base_url()).rstrip("/")

    @classmethod
    def from_environment(cls, ref: ApiModelId) -> Provider:
        """Key and base URL from the environment; `ModelLoadError` without a key."""
        key = next((os.environ[v] for v in cls.key_variables if os.environ.get(v)), None)
        if key is None:
            raise missing_key(ref.name, cls.title, cls.key_variables)
        return cls(ref, key.strip(), os.environ.get(cls.base_url_variable) or None)

    @property
    def dim(self) -> int:
        return self.ref.dimensions or self.ref.info.dim

    def identity(self) -> dict[str, Any]:
        """What, besides provider, model and inputs, decides the vectors (fingerprint, keys)."""
        return {"dimensions": self.ref.dimensions}

    # -- to implement --------------------------------------------------------------
    def default_base_url(self) -> str:
        raise NotImplementedError

    def input_type(self, kind: str, side: str | None) -> str | None:
        raise NotImplementedError

    def limits(self, kind: str) -> Limits:
        raise NotImplementedError

    def prepare(self, item: Item, kind: str) -> Prepared:
        raise NotImplementedError

    def request(
        self, payloads: list[Any], kind: str, input_type: str | None
    ) -> tuple[str, dict[str, Any], dict[str, str]]:
        """(URL, JSON body, headers) of one request."""
        raise NotImplementedError

    def parse(self, answer: Any, n: int) -> Parsed:
        raise NotImplementedError


def text_size(text: str) -> int:
    return len(text.encode("utf-8")) + 32
