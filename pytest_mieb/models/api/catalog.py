"""Which API models exist, under which ids: data only, standard library only.

Parsed at collection time (`pytest_mieb.models.id_forms`), so nothing here imports numpy,
PIL or an HTTP stack. Two kinds of ids reach an API model:

* the id mteb registers (and publishes scores under), e.g. ``voyageai/voyage-multimodal-3``
  (mteb 2.26 renamed it ``mongodb/voyage-multimodal-3``; both are accepted),
  ``cohere/embed-english-v3.0``, ``Cohere/Cohere-embed-v4.0``, ``google/gemini-embedding-2``;
* ``api:PROVIDER/MODEL[?OPTION=VALUE&...]`` with PROVIDER ``voyage``, ``cohere`` or ``gemini``
  and MODEL the name the API knows, e.g. ``api:cohere/embed-v4.0?dimensions=512``.

Options: ``dimensions`` (an output dimension the model offers) and, for Cohere, ``output_dtype``
(``float``, ``int8``, ``uint8``, ``binary``; mteb registers the v4 int8 and binary variants) and
``query_input_type`` (``search_document``, as mteb sends for queries too, the default;
``search_query``, as Cohere documents). Results are saved under mteb's name for the model when
mteb registers it (so published scores line up), else under the ``api:`` id; a non-default
option is part of the name, as mteb names its variants (``Cohere/Cohere-embed-v4.0
(output_dtype=int8)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

PROVIDERS = ("voyage", "cohere", "gemini")


@dataclass(frozen=True)
class ModelInfo:
    """One model an API serves: its default dimension and the others it offers."""

    provider: str
    model: str
    dim: int
    dimensions: tuple[int, ...] = ()
    #: mteb's registered name (results are saved under it), if mteb registers the model.
    mteb_name: str | None = None


MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("voyage", "voyage-multimodal-3", 1024, (), "voyageai/voyage-multimodal-3"),
    ModelInfo("voyage", "voyage-multimodal-3.5", 1024, (256, 512, 1024, 2048)),
    ModelInfo("cohere", "embed-english-v3.0", 1024, (), "cohere/embed-english-v3.0"),
    ModelInfo("cohere", "embed-multilingual-v3.0", 1024, (), "cohere/embed-multilingual-v3.0"),
    ModelInfo("cohere", "embed-english-light-v3.0", 384),
    ModelInfo("cohere", "embed-multilingual-light-v3.0", 384),
    ModelInfo("cohere", "embed-v4.0", 1536, (256, 512, 1024, 1536), "Cohere/Cohere-embed-v4.0"),
    ModelInfo("gemini", "gemini-embedding-2", 3072, (768, 1536, 3072), "google/gemini-embedding-2"),
    ModelInfo(
        "gemini",
        "gemini-embedding-2-preview",
        3072,
        (768, 1536, 3072),
        "google/gemini-embedding-2-preview",
    ),
)

#: Published / mteb ids besides each model's `mteb_name` -> (provider, model, options).
ALIASES: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {
    "mongodb/voyage-multimodal-3": ("voyage", "voyage-multimodal-3", ()),
    "Cohere/Cohere-embed-v4.0 (output_dtype=int8)": (
        "cohere",
        "embed-v4.0",
        (("output_dtype", "int8"),),
    ),
    "Cohere/Cohere-embed-v4.0 (output_dtype=binary)": (
        "cohere",
        "embed-v4.0",
        (("output_dtype", "binary"),),
    ),
}

OUTPUT_DTYPES = ("float", "int8", "uint8", "binary")
#: What Cohere queries are sent as: mteb's value (behind the published scores), or the one
#: Cohere documents.
QUERY_INPUT_TYPES = ("search_document", "search_query")
OPTIONS = {"voyage": ("dimensions",),
           "cohere": ("dimensions", "output_dtype", "query_input_type"),
           "gemini": ("dimensions",)}  # fmt: skip

#: For help texts and error messages (`pytest_mieb.models.errors.ACCEPTED_FORMS`).
ID_FORMS = (
    "api:voyage/MODEL | api:cohere/MODEL | api:gemini/MODEL, optionally ?dimensions=N "
    "(API models; key from VOYAGE_API_KEY, CO_API_KEY or COHERE_API_KEY, GEMINI_API_KEY "
    "or GOOGLE_API_KEY)",
    "voyageai/voyage-multimodal-3 | cohere/embed-english-v3.0 | "
    "cohere/embed-multilingual-v3.0 | Cohere/Cohere-embed-v4.0 | google/gemini-embedding-2 "
    "(API models by their mteb ids)",
)


class ApiIdError(ValueError):
    """An ``api:`` id that names no known provider, model or option (message: one line)."""


@dataclass(frozen=True)
class ApiModelId:
    """A parsed API model id: what to call and under which name to save results."""

    provider: str
    model: str
    options: tuple[tuple[str, str], ...] = field(default=())

    @property
    def info(self) -> ModelInfo:
        return find_model(self.provider, self.model)

    def option(self, name: str) -> str | None:
        return dict(self.options).get(name)

    @property
    def dimensions(self) -> int | None:
        value = self.option("dimensions")
        return int(value) if value is not None else None

    @property
    def name(self) -> str:
        """mteb's name when mteb registers the model (plus non-default options), else the
        ``api:`` id."""
        base = self.info.mteb_name
        if base is None:
            query = "&".join(f"{k}={v}" for k, v in self.options)
            return f"api:{self.provider}/{self.model}" + (f"?{query}" if query else "")
        extra = " ".join(f"({k}={v})" for k, v in self.options)
        return f"{base} {extra}" if extra else base


def find_model(provider: str, model: str) -> ModelInfo:
    for info in MODELS:
        if info.provider == provider and info.model == model:
            return info
    known = ", ".join(m.model for m in MODELS if m.provider == provider)
    raise ApiIdError(f"{provider} has no image-capable embedding model {model!r}; known: {known}")


def registered_id(raw: str) -> ApiModelId | None:
    """The API model behind an mteb / published id (case-insensitive), or None."""
    lowered = raw.strip().lower()
    for info in MODELS:
        if info.mteb_name and info.mteb_name.lower() == lowered:
            return ApiModelId(info.provider, info.model)
    for alias, (provider, model, options) in ALIASES.items():
        if alias.lower() == lowered:
            return _checked(ApiModelId(provider, model, options))
    return None


def parse_api_id(raw: str) -> ApiModelId:
    """``api:PROVIDER/MODEL[?OPTION=VALUE&...]`` -> `ApiModelId`; `ApiIdError` if malformed."""
    rest = raw.strip().removeprefix("api:")
    path, _, query = rest.partition("?")
    provider, sep, model = path.partition("/")
    if not sep or not model or "@" in model:
        raise ApiIdError(
            "API ids are api:PROVIDER/MODEL[?dimensions=N] (API models have no revisions)"
        )
    if provider not in PROVIDERS:
        raise ApiIdError(f"unknown API provider {provider!r}; known: {', '.join(PROVIDERS)}")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ApiIdError(f"cannot read the options {query!r} (OPTION=VALUE&...)") from None
    return _checked(ApiModelId(provider, model, tuple(pairs)))


def _checked(ref: ApiModelId) -> ApiModelId:
    info = ref.info
    allowed = OPTIONS[ref.provider]
    names = [k for k, _ in ref.options]
    unknown = [k for k in names if k not in allowed]
    if unknown or len(set(names)) != len(names):
        raise ApiIdError(
            f"options of {ref.provider} models are {', '.join(allowed)}, each once; got "
            f"{', '.join(names)}"
        )
    dims = ref.option("dimensions")
    if dims is not None:
        offered = info.dimensions
        if not dims.isdigit() or int(dims) not in (*offered, info.dim):
            choice = ", ".join(map(str, offered)) if offered else f"only its default {info.dim}"
            raise ApiIdError(f"{info.model} offers dimensions {choice}; got {dims!r}")
    dtype = ref.option("output_dtype")
    if dtype is not None and dtype not in OUTPUT_DTYPES:
        raise ApiIdError(f"output_dtype must be one of {', '.join(OUTPUT_DTYPES)}; got {dtype!r}")
    side = ref.option("query_input_type")
    if side is not None and side not in QUERY_INPUT_TYPES:
        raise ApiIdError(
            f"query_input_type must be one of {', '.join(QUERY_INPUT_TYPES)}; got {side!r}"
        )
    # Defaults are not options: `?dimensions=1024` names the same model as no option.
    defaults = {
        ("dimensions", str(info.dim)),
        ("output_dtype", "float"),
        ("query_input_type", "search_document"),
    }
    kept = tuple((k, v) for k, v in ref.options if (k, v) not in defaults)
    return ApiModelId(ref.provider, ref.model, kept)
