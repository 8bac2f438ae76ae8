"""The one door every encoder passes before it is used: `validate_encoder`.

However a model arrives (an id loaded by the built-in registry or by a user's
`pytest_mieb_load_encoder`, an overridden `mieb_encoder` fixture, a ``package.module:factory``),
it is checked here once, so that an object the harness cannot use fails with one line naming
what it lacks, not with an AttributeError deep inside the embedder.

What is required is what the harness uses (see `pytest_mieb.models.base.Encoder`):
``embed_dim``, ``similarity`` and ``fingerprint`` always, and at least one way to encode:
``encode_texts``, ``image_transform`` with ``encode_pixels``, ``encode_images`` (called with
decoded RGB images when there is no ``image_transform``: API models), or ``encode_fused``.
``name`` and ``revision`` are optional (the result files then name the model by its id); a
task that needs a method the encoder lacks fails alone.
"""

from __future__ import annotations

from typing import Any, cast

from pytest_mieb.models.base import Encoder
from pytest_mieb.models.errors import ModelLoadError, short

#: Members every encoder must have.
REQUIRED = ("embed_dim", "similarity", "fingerprint")
#: Ways to encode: an encoder needs at least one, each complete.
ENCODE_WAYS = (
    ("encode_texts",),
    ("image_transform", "encode_pixels"),
    ("encode_images",),
    ("encode_fused",),
)
SIMILARITIES = ("cosine", "dot", "maxsim")  # maxsim: late interaction (token vectors)


def validate_encoder(obj: Any, source: str) -> Encoder:
    """`obj` as an `Encoder`, or `ModelLoadError` (one line) naming `source` and what lacks.

    `source` says where the object came from, e.g. ``"model 'acme/m'"`` or ``"the
    mieb_encoder fixture"``. Each member is read once (a `fingerprint` property is computed
    here once, as the embedder would); a member set to None counts as absent.
    """
    names = dict.fromkeys([*REQUIRED, *(n for way in ENCODE_WAYS for n in way)])
    values = {name: _read(obj, name, source) for name in names}
    problems = [name for name in REQUIRED if values[name] is None]
    ways = [way for way in ENCODE_WAYS if any(values[name] is not None for name in way)]
    if not ways:
        problems.append(
            "an encode method (encode_texts, encode_pixels, encode_images or encode_fused)"
        )
    for way in ways:
        problems += [name for name in way if values[name] is None]
    if problems:
        raise ModelLoadError(
            f"{source} gave {type(obj).__name__}, not an Encoder: missing "
            f"{', '.join(problems)} (see pytest_mieb.models.base.Encoder)"
        )
    methods = [n for way in ways for n in way if n.startswith("encode_")]
    not_callable = [n for n in methods if not callable(values[n])]
    if not_callable:
        raise ModelLoadError(f"{source}: {', '.join(not_callable)} must be methods")
    if values["similarity"] not in SIMILARITIES:
        raise ModelLoadError(
            f"{source}: similarity must be 'cosine', 'dot' or 'maxsim', "
            f"got {values['similarity']!r}"
        )
    dim = values["embed_dim"]
    if isinstance(dim, bool) or not isinstance(dim, int) or dim <= 0:
        raise ModelLoadError(f"{source}: embed_dim must be a positive int, got {dim!r}")
    if not isinstance(values["fingerprint"], str) or not values["fingerprint"]:
        raise ModelLoadError(f"{source}: fingerprint must be a non-empty string")
    return cast(Encoder, obj)


def _read(obj: Any, name: str, source: str) -> Any:
    """The member, or None when it is absent; a property that fails otherwise says so."""
    try:
        return getattr(obj, name, None)
    except Exception as exc:
        raise ModelLoadError(
            f"{source}: reading {name} raised {type(exc).__name__}: {short(exc)}"
        ) from exc
