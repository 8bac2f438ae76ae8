"""Where a pinned dataset is read from: a local mirror, the Hub, or the local Hub caches.

A mirror is a directory `DATA_DIR/org/name/` holding the files of the hub repo at the
pinned revision (what `huggingface_hub.snapshot_download(..., local_dir=...)` writes). It
is read with the same `datasets.load_dataset` call as the hub repo, with the directory as
the path, so mirror and hub go through one code path. Without a mirror the Hub is used
(online), or, offline, the Hub cache's snapshot of exactly the pinned revision and then
datasets' own cache (refused when it holds another revision). Every failure becomes one
`DataError` line naming dataset, revision and remedy.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pytest_mieb import hub
from pytest_mieb.data.errors import DataError
from pytest_mieb.tasks.spec import DatasetRef

#: Written into a mirror by `download` and the offline suite: the revision it holds.
REVISION_MARKER = ".mieb-revision"

_COMMIT = re.compile(r"[0-9a-f]{40}")

REMEDY = (
    "remedy: pass --mieb-data-dir DIR with a mirror at DIR/{path} (fill it where the Hub is "
    "reachable with `python -m pytest_mieb download --benchmark NAME DIR`), or {access}"
)
ALLOW_ACCESS = f"allow Hub access (unset {' / '.join(hub.OFFLINE_VARIABLES)})"
RUN_CONNECTED = "run where the Hub is reachable once, to fill the caches"


@dataclass(frozen=True)
class DataSource:
    """One pinned dataset, resolved to a location `datasets.load_dataset` can read."""

    ref: DatasetRef
    location: str
    revision: str | None
    origin: str
    offline: bool = False
    checked: str = ""
    cache_dir: str | None = None
    #: Why the Hub counts as unreachable this session (offline without being told to).
    unreachable: str | None = None

    @property
    def is_hub(self) -> bool:
        return self.revision is not None

    def key(self, config: str | None, split: str, column: str) -> str:
        """The cache identity of one column: the same for mirror and hub copies."""
        return f"{self.ref.path}@{self.ref.revision}/{config or 'default'}/{split}/{column}"

    def configs(self) -> list[str]:
        import datasets

        try:
            with hub.forced_offline(self.offline if self.is_hub else None):
                return list(
                    datasets.get_dataset_config_names(self.location, revision=self.revision)
                )
        except Exception as exc:
            translated = self._translate(exc, None)
            if translated is None:
                raise
            raise translated from exc

    def load(self, config: str | None = None) -> Any:
        """The split-keyed `DatasetDict` of one config (default config when None)."""
        try:
            loaded = _load_cached(
                self.location, self.revision, config, self.offline, self.cache_dir
            )
        except DataError:
            raise
        except Exception as exc:
            translated = self._translate(exc, config)
            if translated is None:
                raise
            raise translated from exc
        if self.origin == "datasets cache":
            self._refuse_other_revision(loaded)
        return loaded

    # -- errors -------------------------------------------------------------------------
    def _translate(self, exc: BaseException, config: str | None) -> DataError | None:
        """The `DataError` a loading failure means, or None for errors of another kind."""
        what = f" (config {config!r})" if config else ""
        if not self.is_hub:
            return DataError(
                f"{self.ref}: cannot read the local mirror {self.location}{what}: {_one_line(exc)}"
            )
        unavailable = _is_unavailable(exc)
        if _mentions_gated(exc) or (self.ref.gated and unavailable):
            return DataError(gated_message(self.ref, self.checked, exc))
        if unavailable:
            if self.offline:
                why = (
                    f"the Hub could not be reached ({self.unreachable})"
                    if self.unreachable
                    else "offline mode is on"
                )
                reason = f"{why} and the pinned revision is not in the local caches"
            else:
                reason = f"the Hub could not be reached ({_one_line(exc)})"
            return DataError(
                f"{self.ref} is not available{what}: {self.checked}; {reason}; " + self._remedy()
            )
        return None

    def _remedy(self) -> str:
        access = RUN_CONNECTED if self.unreachable else ALLOW_ACCESS
        return REMEDY.format(path=self.ref.path, access=access)

    def _refuse_other_revision(self, loaded: Any) -> None:
        for split in loaded.values():
            for cache_file in split.cache_files:
                held = Path(cache_file["filename"]).parent.name
                pinned = self.ref.revision
                if _COMMIT.fullmatch(held) and _COMMIT.fullmatch(pinned) and held != pinned:
                    raise DataError(
                        f"{self.ref}: offline, datasets' cache only holds revision {held}, "
                        "not the pinned one; " + self._remedy()
                    )
                return


def gated_message(ref: DatasetRef, checked: str, exc: BaseException | None = None) -> str:
    detail = f" ({_one_line(exc)})" if exc is not None else ""
    return (
        f"{ref} is a gated dataset on the Hugging Face Hub and could not be read{detail}: "
        f"{checked}; request access at https://huggingface.co/datasets/{ref.path} and provide "
        "a token (set HF_TOKEN or run `hf auth login`), or pass --mieb-data-dir DIR with a "
        f"mirror at DIR/{ref.path}"
    )


def open_source(
    ref: DatasetRef, *, data_dir: str | Path | None = None, hub_offline: bool | None = None
) -> DataSource:
    """Resolve `ref`: mirror under `data_dir` first, else the Hub (or its caches offline).

    `hub_offline` None follows this run's hub decision (`pytest_mieb.hub.decide`: offline
    when the user said so or the Hub does not answer); True never touches the network;
    False allows it even when the environment says offline.
    """
    if data_dir is not None:
        directory = Path(data_dir) / ref.path
        if directory.is_dir():
            _check_mirror_revision(ref, directory)
            return DataSource(
                ref, str(directory), None, f"mirror {directory}", cache_dir=_mirror_cache(directory)
            )
        checked = f"no local mirror at {directory}"
    else:
        checked = "no --mieb-data-dir mirror given"
    if hub_offline is None:
        access = hub.decide()
        offline, unreachable = access.local_only, access.unreachable
    else:
        offline, unreachable = bool(hub_offline), None
    if not offline:
        return DataSource(ref, ref.path, ref.revision, "hub", offline=False, checked=checked)
    snapshot = _hub_cache_snapshot(ref)
    if snapshot is not None:
        return DataSource(
            ref, str(snapshot), None, f"hub cache {snapshot}", cache_dir=_mirror_cache(snapshot)
        )
    return DataSource(
        ref,
        ref.path,
        ref.revision,
        "datasets cache",
        offline=True,
        checked=checked,
        unreachable=unreachable,
    )


# -- helpers ------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _load_cached(
    location: str,
    revision: str | None,
    config: str | None,
    offline: bool,
    cache_dir: str | None,
) -> Any:
    """Memoised so that tasks sharing a dataset (CIFAR10, its zero-shot and clustering
    views) open it once per process; the result is memory-mapped Arrow, not a copy."""
    import datasets

    with hub.forced_offline(offline if revision is not None else None):
        return datasets.load_dataset(location, name=config, revision=revision, cache_dir=cache_dir)


def _mirror_cache(directory: Path) -> str:
    """A datasets cache folder of this mirror's own: datasets keys its Arrow cache of a
    local folder with README configs on the folder's name alone, so two mirrors named
    alike (or one refilled with another revision) would otherwise share a stale cache.
    The key covers the folder's absolute path and every file's name, size and mtime."""
    import datasets.config

    digest = hashlib.sha1(str(directory.resolve()).encode())
    for base, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            stat = os.stat(os.path.join(base, name))
            relative = os.path.relpath(os.path.join(base, name), directory)
            digest.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    root = Path(datasets.config.HF_DATASETS_CACHE) / "pytest-mieb-mirrors"
    return str(root / f"{directory.name}-{digest.hexdigest()[:16]}")


def clear_cache() -> None:
    """Forget opened datasets (tests rewrite mirrors in place)."""
    _load_cached.cache_clear()


def _hub_cache_snapshot(ref: DatasetRef) -> Path | None:
    """The Hub cache's folder for exactly the pinned revision, if it was downloaded."""
    try:
        from huggingface_hub import snapshot_download

        with hub.forced_offline(True):
            path = snapshot_download(
                ref.path, repo_type="dataset", revision=ref.revision, local_files_only=True
            )
    except Exception:
        return None
    return Path(path) if Path(path).is_dir() else None


def _check_mirror_revision(ref: DatasetRef, directory: Path) -> None:
    held = _mirror_revisions(directory)
    if held and held != {ref.revision}:
        raise DataError(
            f"{ref}: the local mirror {directory} holds revision {', '.join(sorted(held))}, "
            f"not the pinned {ref.revision}; refill it with `python -m pytest_mieb download` "
            "or point --mieb-data-dir at a mirror of the pinned revision"
        )


def _mirror_revisions(directory: Path) -> set[str]:
    """Revisions a mirror declares: our marker, else huggingface_hub's download metadata."""
    marker = directory / REVISION_MARKER
    if marker.is_file():
        return {marker.read_text(encoding="utf-8").strip()}
    metadata = directory / ".cache" / "huggingface" / "download"
    held: set[str] = set()
    if metadata.is_dir():
        for meta in metadata.rglob("*.metadata"):
            first = meta.read_text(encoding="utf-8").split("\n", 1)[0].strip()
            if _COMMIT.fullmatch(first):
                held.add(first)
    return held


def _is_unavailable(exc: BaseException) -> bool:
    from huggingface_hub import errors as hub_errors

    unavailable: tuple[type[BaseException], ...] = (
        ConnectionError,
        FileNotFoundError,
        TimeoutError,
        hub_errors.HfHubHTTPError,
        hub_errors.LocalEntryNotFoundError,
        hub_errors.OfflineModeIsEnabled,
        hub_errors.RepositoryNotFoundError,
        hub_errors.RevisionNotFoundError,
    )
    if isinstance(exc, unavailable):
        return True
    return isinstance(exc, ValueError) and "find cache" in str(exc)


def _mentions_gated(exc: BaseException) -> bool:
    from huggingface_hub import errors as hub_errors

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, hub_errors.GatedRepoError) or "gated" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _one_line(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    return f"{name}: {text[:300]}" if text else name
