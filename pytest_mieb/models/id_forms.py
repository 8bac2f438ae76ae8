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
* An existing directory: open_clip if it holds ``open_clip_config.json``, else
  transformers if it holds ``config.json``.
* ``package.module:factory``: user code (see `pytest_mieb.models.user_code`).
* ``api:PROVIDER/MODEL[?OPTION=VALUE]`` and the ids mteb registers API models under
  (``voyageai/voyage-multimodal-3``, ``cohere/embed-english-v3.0``, ...): embedding APIs
  (see `pytest_mieb.models.api.catalog`); no revisions.
* ``ORG/NAME[@REV]``: a hub id. ``royokong/e5-v`` goes to E5-V. It goes to open_clip when
  it is a laion OpenCLIP repo (``laion/CLIP-*``, ``laion/CoCa-*``: these also carry a
  transformers config, but MIEB evaluates them with open_clip) or when the local cache
  shows the repo has an ``open_clip_config.json``; any other hub id goes to transformers.

``@REV`` pins a branch, tag or commit; it is passed as ``revision=`` to the hub.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pytest_mieb.models.api.catalog import ApiIdError, parse_api_id, registered_id
from pytest_mieb.models.errors import ModelLoadError, unknown_id

Backend = Literal["baseline", "transformers", "open_clip", "e5v", "user", "api"]

BASELINES = ("pixels", "random")
#: Hub repos known to be OpenCLIP checkpoints without looking at their files.
OPEN_CLIP_HUB_PREFIXES = ("laion/clip-", "laion/coca-")
#: Hub ids that are E5-V checkpoints (LLaVA-Next with E5-V's prompts).
E5V_HUB_IDS = ("royokong/e5-v",)

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


def parse_model_id(
    model_id: str, *, has_open_clip_config: Callable[[str, str | None], bool] | None = None
) -> ModelRef:
    """Resolve an id string to a `ModelRef`; raises `ModelLoadError` for unknown forms.

    `has_open_clip_config(repo, revision)` answers whether a hub repo is an open_clip
    repo; the default looks into the local Hugging Face cache only (never the network).
    """
    raw = model_id.strip()
    if not raw:
        raise unknown_id(model_id, "empty id")
    probe = has_open_clip_config or cached_open_clip_config
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
        lowered = repo.lower()
        if lowered in E5V_HUB_IDS:
            return ModelRef("e5v", repo, repo, revision)
        if lowered.startswith(OPEN_CLIP_HUB_PREFIXES) or probe(repo, revision):
            return ModelRef("open_clip", repo, repo, revision)
        return ModelRef("transformers", repo, repo, revision)
    if raw.startswith(("/", "./", "../", "~")):
        raise ModelLoadError(f"local model path {raw!r} does not exist")
    raise unknown_id(raw)


def split_revision(text: str) -> tuple[str, str | None]:
    """``org/name@rev`` -> (``org/name``, ``rev``); hub repo names never contain ``@``."""
    repo, sep, revision = text.partition("@")
    if sep and not revision:
        raise ModelLoadError(f"empty revision after '@' in {text!r}")
    return repo, (revision if sep else None)


def cached_open_clip_config(repo: str, revision: str | None) -> bool:
    """Whether the local hub cache shows `repo` has an ``open_clip_config.json``."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers
        return False
    try:
        found = try_to_load_from_cache(repo, "open_clip_config.json", revision=revision)
    except Exception:  # a malformed id or cache entry just means "not known to be open_clip"
        return False
    return isinstance(found, str)


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
    return ModelRef("open_clip", repo, repo, revision)


def _hub_or_dir(backend: Backend, raw: str, rest: str) -> ModelRef:
    path = os.path.expanduser(rest)
    if os.path.isdir(path):
        return ModelRef(backend, path, rest, local=True)
    repo, revision = split_revision(rest)
    if not _HUB_ID.match(repo):
        if rest.startswith(("/", "./", "../", "~")):
            raise ModelLoadError(f"local model path {rest!r} does not exist")
        raise unknown_id(raw, "expected ORG/NAME[@REVISION] or an existing directory")
    return ModelRef(backend, repo, repo, revision)


def _api(raw: str, text: str) -> ModelRef:
    """An API model: `target` is the id as given, `name` the name its results go under."""
    try:
        api_id = registered_id(text) or parse_api_id(text)
    except ApiIdError as exc:
        raise unknown_id(raw, str(exc)) from None
    return ModelRef("api", text, api_id.name)


def _local_dir(raw: str, path: str) -> ModelRef:
    if os.path.isfile(os.path.join(path, "open_clip_config.json")):
        return ModelRef("open_clip", path, raw, local=True)
    if os.path.isfile(os.path.join(path, "config.json")):
        return ModelRef("transformers", path, raw, local=True)
    raise unknown_id(
        raw, "the directory holds neither a transformers config.json nor open_clip_config.json"
    )
