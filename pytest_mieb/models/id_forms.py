"""Model ids: which adapter loads a given `--mieb-model` string, and from where.

Parsing is pure string and file-system work (plus a look into the local Hugging Face
cache), so it can be tested and used at collection time without importing torch.

Id forms, tried in this order:

* ``baseline/pixels``, ``baseline/random``: the weight-free baselines.
* ``open_clip:ARCH/PRETRAINED``: an open_clip architecture with a registered pretrained tag
  (``open_clip:ViT-B-32/laion2b_s34b_b79k``) or a checkpoint file. The text after the first
  ``/`` is the tag or the path: ``open_clip:ViT-B-32//abs/ckpt.pt`` and
  ``open_clip:ViT-B-32/runs/ckpt.pt`` (relative to the working directory) both work, and
  ``open_clip:ViT-B-32/abs/ckpt.pt`` means ``/abs/ckpt.pt`` when no relative file
  ``abs/ckpt.pt`` exists. Custom architectures must be registered with
  ``open_clip.add_model_config`` first (or use a directory, below).
* ``open_clip:hf-hub:ORG/NAME[@REV]``, ``hf-hub:ORG/NAME[@REV]``: an open_clip hub repo.
* ``open_clip:DIR``: a directory with ``open_clip_config.json`` and a checkpoint.
* ``transformers:ID_OR_DIR[@REV]``: force the transformers adapter.
* ``e5-v:ID_OR_DIR[@REV]``: a LLaVA-style model embedded with E5-V's prompts.
* ``mllm:FAMILY:ID_OR_DIR[@REV]``: a multimodal-LLM embedder with the recipe of FAMILY
  (`pytest_mieb.models.mllm.FAMILIES`: lco, gme, vlm2vec_v2, ...).
* ``timm:NAME.TAG``, ``timm:hf-hub:ORG/NAME[@REV]``, ``timm:DIR``: a timm image model.
* ``sentence-transformers:ID_OR_DIR[@REV]``: a sentence-transformers model.
* An existing directory: open_clip if it holds ``open_clip_config.json``, else
  sentence-transformers if it holds ``modules.json``, else by its ``config.json``: timm's
  layout (an ``architecture``) to timm, a DINOv2 / DINOv3 model type to the CLS-token
  vision adapter, colpali-engine architectures (ColPali, ColQwen2, ColQwen2_5, ColIdefics3)
  to the late-interaction adapter, anything else to transformers.
* ``package.module:factory``: user code (see `pytest_mieb.models.user_code`).
* ``api:PROVIDER/MODEL[?OPTION=VALUE]`` and the ids mteb registers API models under
  (``voyageai/voyage-multimodal-3``, ``cohere/embed-english-v3.0``, ...): embedding APIs
  (see `pytest_mieb.models.api.catalog`); no revisions.
* ``ORG/NAME[@REV]``: a hub id. A published model (`pytest_mieb.models.model_table`) goes
  to its family's adapter, as does an id a family of the model table lists (``ids``: MLLM
  embedders mteb registers without published scores); ``royokong/e5-v`` to E5-V; a laion
  OpenCLIP repo (``laion/CLIP-*``, ``laion/CoCa-*``: these also carry a transformers
  config, but MIEB evaluates them with open_clip) to open_clip; ``facebook/dinov2-*`` /
  ``dinov3-*`` to the CLS-token vision adapter, ``nyu-visionx/moco-v3-*`` to timm (MoCo
  v3's recipe), the published sentence-transformers repos to sentence-transformers,
  ``vidore/colpali*``, ``vidore/colqwen2*`` and ``vidore/colSmol*`` to the late-interaction
  adapter; any other hub id to transformers, unless the repository's files say it is an
  open_clip repo (``open_clip_config.json`` and no ``config.json``), which the loader checks
  (`by_files`). What the local cache holds never decides the route.

``@REV`` pins a branch, tag or commit; it is passed as ``revision=`` to the hub. A published
model's bare id loads the revision its published scores were computed at
(``revision_source == "published"``), a model mteb registers for a family without published
scores (a family's ``ids`` in the model table) the revision mteb pins (``"registered"``);
``@main`` or any other revision overrides either.

Names (what results are filed under): the id without routing prefix and revision when the
adapter is the one a bare id reaches; ``transformers:laion/CLIP-...`` and other forms that
force a different adapter keep their prefix, so two adapters' results never share a folder.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from typing import Literal

from pytest_mieb.models.api.catalog import ApiIdError, parse_api_id, registered_id
from pytest_mieb.models.errors import ModelLoadError, unknown_id
from pytest_mieb.models.model_table import (
    families,
    family_of,
    published_model,
    registered_model,
)

Backend = Literal[
    "baseline",
    "transformers",
    "open_clip",
    "e5v",
    "user",
    "api",
    "cls_vision",
    "timm",
    "moco",
    "sentence_transformers",
    "mllm",
    "eva_clip",
    "ebind",
    "blip2",
    "nomic_vision",
    "jina_clip",
    "late_interaction",
]

BASELINES = ("pixels", "random")
#: Hub repos known to be OpenCLIP checkpoints without looking at their files.
OPEN_CLIP_HUB_PREFIXES = ("laion/clip-", "laion/coca-")
#: Hub ids that are E5-V checkpoints (LLaVA-Next with E5-V's prompts).
E5V_HUB_IDS = ("royokong/e5-v",)
#: Hub repos of image-only transformers backbones embedded by their CLS token (DINOv2 / v3).
CLS_VISION_HUB_PREFIXES = ("facebook/dinov2-", "facebook/dinov3-")
#: MoCo v3 repos: timm ViTs built as MIEB's reference loader builds them.
MOCO_HUB_PREFIXES = ("nyu-visionx/moco-v3-",)
#: Hub repos known to be sentence-transformers models (they ship modules.json).
SENTENCE_TRANSFORMERS_HUB_PREFIXES = (
    "haon-chen/e5-omni-",
    "tevatron/omniembed-",
    "bidirlm/bidirlm-omni-",
    "jinaai/jina-embeddings-v5-omni-",
    "qwen/qwen3-vl-embedding-",
)
#: jina-clip repos (v1 published, v2): the repository's own encode_text / encode_image.
JINA_CLIP_HUB_PREFIXES = ("jinaai/jina-clip-",)
#: Hub repos of late-interaction retrievers (ColPali, ColQwen2 / 2.5, ColSmol).
LATE_INTERACTION_HUB_PREFIXES = ("vidore/colpali", "vidore/colqwen2", "vidore/colsmol")
#: config.json architectures of colpali-engine checkpoints (late interaction).
LATE_INTERACTION_ARCHITECTURES = ("ColPali", "ColQwen2", "ColQwen2_5", "ColIdefics3")
#: transformers model types of image-only CLS-token backbones (read from a directory's config).
CLS_VISION_MODEL_TYPES = ("dinov2", "dinov2_with_registers", "dinov3_vit")

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_FACTORY = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


@dataclass(frozen=True)
class ModelRef:
    """Where a model comes from and which adapter loads it.

    `target` is a hub id or a local path (a baseline's name, an open_clip ARCH, or a
    ``module:factory`` for the other backends); `pretrained` is set only for open_clip
    built-in architectures (a tag or a checkpoint path).
    """

    backend: Backend
    target: str
    name: str
    revision: str | None = None
    pretrained: str | None = None
    local: bool = False
    #: "given" (in the id or none), "published": the published scores' revision, or
    #: "registered": the revision mteb 2.26 pins for a model without published scores.
    revision_source: str = "given"
    #: A bare hub id whose route the loader settles from the repository's files.
    by_files: bool = False
    #: The recipe family of an MLLM embedder (backend "mllm").
    family: str = ""


def parse_model_id(model_id: str) -> ModelRef:
    """Resolve an id string to a `ModelRef`; raises `ModelLoadError` for unknown forms.

    Pure: no file of the hub or its cache is read (see `by_files`).
    """
    raw = model_id.strip()
    if not raw:
        raise unknown_id(model_id, "empty id")
    if raw.startswith("baseline/"):
        kind = raw.removeprefix("baseline/")
        if kind not in BASELINES:
            raise unknown_id(raw, f"baselines are {', '.join('baseline/' + b for b in BASELINES)}")
        return ModelRef("baseline", kind, raw)
    if raw.startswith("open_clip:"):
        return _parse_open_clip(raw, raw.removeprefix("open_clip:"))
    if raw.startswith("hf-hub:"):
        return _open_clip_hub(raw, raw.removeprefix("hf-hub:"))
    if raw.startswith("transformers:"):
        return _hub_or_dir("transformers", raw, raw.removeprefix("transformers:"))
    if raw.startswith("e5-v:"):
        return _hub_or_dir("e5v", raw, raw.removeprefix("e5-v:"))
    if raw.startswith("timm:"):
        return _timm(raw, raw.removeprefix("timm:"))
    if raw.startswith("mllm:"):
        return _mllm(raw, raw.removeprefix("mllm:"))
    if raw.startswith("sentence-transformers:"):
        rest = raw.removeprefix("sentence-transformers:")
        return _hub_or_dir("sentence_transformers", raw, rest)
    if raw.startswith("api:"):
        return _api(raw, raw)
    path = os.path.expanduser(raw)
    if os.path.isdir(path):
        return _local_dir(raw, path)
    if os.path.isfile(path):
        raise unknown_id(raw, "a checkpoint file needs its architecture: open_clip:ARCH/PATH")
    if _FACTORY.match(raw):
        return ModelRef("user", raw, raw)
    repo, revision = split_revision(raw)
    if registered_id(repo) is not None:
        if revision is not None:
            raise unknown_id(raw, "API models have no revisions")
        return _api(raw, repo)
    if _HUB_ID.match(repo):
        backend = default_backend(repo)
        return _pinned(
            ModelRef(backend, repo, repo, revision, by_files=backend == "transformers"
                     and published_model(repo) is None,
                     family=(family_of(repo) or "") if backend == "mllm" else "")
        )  # fmt: skip
    if raw.startswith(("/", "./", "../", "~")):
        raise ModelLoadError(f"local model path {raw!r} does not exist")
    raise unknown_id(raw)


def split_revision(text: str) -> tuple[str, str | None]:
    """``org/name@rev`` -> (``org/name``, ``rev``); hub repo names never contain ``@``."""
    repo, sep, revision = text.partition("@")
    if sep and not revision:
        raise ModelLoadError(f"empty revision after '@' in {text!r}")
    return repo, (revision if sep else None)


def default_backend(repo: str) -> Backend:
    """The adapter a bare hub id reaches, from the id alone (see the module docstring)."""
    row = published_model(repo)
    if row is not None and row.backend:
        return row.backend  # type: ignore[return-value]
    family = families().get(family_of(repo) or "") if row is None else None
    if family is not None and family.get("backend"):
        return family["backend"]
    lowered = repo.lower()
    if lowered in E5V_HUB_IDS:
        return "e5v"
    for prefixes, backend in _HUB_PREFIX_BACKENDS:
        if lowered.startswith(prefixes):
            return backend
    return "open_clip" if lowered.startswith(OPEN_CLIP_HUB_PREFIXES) else "transformers"


def _pinned(ref: ModelRef) -> ModelRef:
    """`ref` at its published revision when it names none and the model has published scores;
    else at mteb's pinned revision when mteb registers it for one of the families."""
    if ref.revision is not None or ref.local:
        return ref
    row = published_model(ref.target)
    if row is not None:
        return replace(ref, revision=row.revision, revision_source="published")
    listed = registered_model(ref.target)
    if listed is not None and listed.revision:
        return replace(ref, revision=listed.revision, revision_source="registered")
    return ref


def _forced_name(backend: Backend, prefix: str, repo: str) -> str:
    """`repo`, or ``prefix + repo`` when `backend` is not the one a bare `repo` reaches."""
    return repo if default_backend(repo) == backend else f"{prefix}{repo}"


def _parse_open_clip(raw: str, rest: str) -> ModelRef:
    if rest.startswith("hf-hub:"):
        return _open_clip_hub(raw, rest.removeprefix("hf-hub:"))
    path = os.path.expanduser(rest)
    if os.path.isdir(path):
        return ModelRef("open_clip", path, raw, local=True)
    arch, sep, pretrained = rest.partition("/")
    if not arch or not sep or not pretrained:
        raise unknown_id(
            raw, "open_clip ids are open_clip:ARCH/PRETRAINED_TAG or a checkpoint path"
        )
    return ModelRef("open_clip", arch, raw, pretrained=_checkpoint_path(pretrained))


def _checkpoint_path(pretrained: str) -> str:
    """A tag stays a tag; a path is resolved relative first, then as absolute."""
    for candidate in (pretrained, "/" + pretrained):
        path = os.path.expanduser(candidate)
        if os.path.isfile(path):
            return os.path.abspath(path)
    return pretrained


def _open_clip_hub(raw: str, rest: str) -> ModelRef:
    repo, revision = split_revision(rest)
    if not _HUB_ID.match(repo):
        raise unknown_id(raw, "hf-hub ids are hf-hub:ORG/NAME[@REVISION]")
    return _pinned(
        ModelRef("open_clip", repo, _forced_name("open_clip", "hf-hub:", repo), revision)
    )


def _hub_or_dir(backend: Backend, raw: str, rest: str) -> ModelRef:
    path = os.path.expanduser(rest)
    if os.path.isdir(path):
        return ModelRef(backend, path, rest, local=True)
    repo, revision = split_revision(rest)
    if not _HUB_ID.match(repo):
        if rest.startswith(("/", "./", "../", "~")):
            raise ModelLoadError(f"local model path {rest!r} does not exist")
        raise unknown_id(raw, "expected ORG/NAME[@REVISION] or an existing directory")
    prefix = raw[: len(raw) - len(rest)]
    return _pinned(ModelRef(backend, repo, _forced_name(backend, prefix, repo), revision))


def _timm(raw: str, rest: str) -> ModelRef:
    """``timm:NAME.TAG``, ``timm:hf-hub:ORG/NAME[@REV]`` or ``timm:DIR``."""
    path = os.path.expanduser(rest)
    if os.path.isdir(path):
        return ModelRef("timm", path, raw, local=True)
    if not rest or rest.startswith(("/", "./", "../", "~")):
        raise ModelLoadError(f"local model path {rest!r} does not exist")
    revision = split_revision(rest)[1] if rest.startswith("hf-hub:") else None
    return ModelRef("timm", rest, raw, revision)


def _api(raw: str, text: str) -> ModelRef:
    """An API model: `target` is the id as given, `name` the name its results go under."""
    try:
        api_id = registered_id(text) or parse_api_id(text)
    except ApiIdError as exc:
        raise unknown_id(raw, str(exc)) from None
    return ModelRef("api", text, api_id.name)


def _mllm(raw: str, rest: str) -> ModelRef:
    """``mllm:FAMILY:ID_OR_DIR[@REV]``: the id or directory with FAMILY's recipe."""
    family, sep, source = rest.partition(":")
    if not sep or not family or not source:
        raise unknown_id(raw, "MLLM ids are mllm:FAMILY:ID_OR_DIR[@REVISION]")
    known = sorted(n for n, f in families().items() if f.get("backend") == "mllm")
    if family not in known:
        raise unknown_id(raw, f"MLLM recipe families are {', '.join(known)}")
    ref = _hub_or_dir("mllm", raw, source)
    if not ref.local and family_of(ref.target) != family:
        ref = replace(ref, name=raw.split("@")[0])  # a forced recipe keeps its prefix
    return replace(ref, family=family)


def _local_dir(raw: str, path: str) -> ModelRef:
    if os.path.isfile(os.path.join(path, "open_clip_config.json")):
        return ModelRef("open_clip", path, raw, local=True)
    if os.path.isfile(os.path.join(path, "modules.json")):
        return ModelRef("sentence_transformers", path, raw, local=True)
    config = os.path.join(path, "config.json")
    if os.path.isfile(config):
        return ModelRef(_config_backend(config), path, raw, local=True)
    raise unknown_id(
        raw, "the directory holds neither a transformers config.json nor open_clip_config.json"
    )


def _config_backend(config_path: str) -> Backend:
    """timm's hub layout names an ``architecture``; DINO backbones have their model type."""
    try:
        with open(config_path, encoding="utf-8") as fh:
            config = json.load(fh)
    except (OSError, ValueError):
        return "transformers"  # the transformers loader reports what is wrong with it
    if not isinstance(config, dict):
        return "transformers"
    if "architecture" in config and "model_type" not in config:
        return "timm"
    if config.get("model_type") in CLS_VISION_MODEL_TYPES:
        return "cls_vision"
    if set(config.get("architectures") or ()) & set(LATE_INTERACTION_ARCHITECTURES):
        return "late_interaction"
    return "transformers"


_HUB_PREFIX_BACKENDS: tuple[tuple[tuple[str, ...], Backend], ...] = (
    (CLS_VISION_HUB_PREFIXES, "cls_vision"),
    (MOCO_HUB_PREFIXES, "moco"),
    (SENTENCE_TRANSFORMERS_HUB_PREFIXES, "sentence_transformers"),
    (JINA_CLIP_HUB_PREFIXES, "jina_clip"),
    (LATE_INTERACTION_HUB_PREFIXES, "late_interaction"),
)
