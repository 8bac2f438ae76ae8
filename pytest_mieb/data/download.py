"""Fill a local mirror: `python -m pytest_mieb download --benchmark NAME DIR`.

Each dataset the tasks read is fetched at its pinned revision with
`huggingface_hub.snapshot_download(repo_id, repo_type="dataset", revision=REV,
local_dir=DIR/org/name)`, the layout `--mieb-data-dir DIR` reads back, and marked with
the revision it holds. Datasets of the offline suite (marker `mieb_local`) are generated,
not downloaded, and are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pytest_mieb.data.errors import DataError
from pytest_mieb.data.source import REVISION_MARKER, gated_message
from pytest_mieb.data.task_dataset import dataset_of
from pytest_mieb.tasks.spec import DatasetRef, TaskSpec

LOCAL_MARKER = "mieb_local"


def dataset_refs(specs: Iterable[TaskSpec]) -> list[DatasetRef]:
    """The distinct pinned hub datasets the tasks read (aggregates: their sub-task's)."""
    refs: dict[tuple[str, str], DatasetRef] = {}
    for spec in specs:
        if LOCAL_MARKER in spec.markers:
            continue
        ref = dataset_of(spec)
        refs.setdefault((ref.path, ref.revision), ref)
    return list(refs.values())


def download(
    specs: Iterable[TaskSpec],
    data_dir: str | Path,
    *,
    progress: Callable[[str], None] | None = None,
    snapshot_download: Callable[..., Any] | None = None,
) -> list[Path]:
    """Mirror every dataset of `specs` under `data_dir`; returns the mirror directories.

    All datasets are attempted; failures (gated access, no network, unknown revision)
    are collected and raised together as one `DataError` at the end.
    """
    if snapshot_download is None:
        from huggingface_hub import snapshot_download

        from pytest_mieb import hub

        unreachable = hub.decide(warn=False).unreachable
        if unreachable is not None:  # fail now, not after retrying every dataset
            raise DataError(
                f"the Hugging Face Hub could not be reached ({unreachable}); run download on "
                "a machine that can reach it, then copy the mirror over"
            )
    root = Path(data_dir)
    written: list[Path] = []
    failures: list[str] = []
    for ref in dataset_refs(specs):
        target = root / ref.path
        if progress is not None:
            progress(f"downloading {ref} -> {target}")
        try:
            snapshot_download(
                repo_id=ref.path, repo_type="dataset", revision=ref.revision, local_dir=str(target)
            )
        except Exception as exc:
            failures.append(_failure(ref, exc))
            continue
        target.mkdir(parents=True, exist_ok=True)
        (target / REVISION_MARKER).write_text(ref.revision + "\n", encoding="utf-8")
        written.append(target)
    if failures:
        raise DataError(f"{len(failures)} dataset(s) not downloaded: " + " | ".join(failures))
    return written


def _failure(ref: DatasetRef, exc: Exception) -> str:
    text = " ".join(str(exc).split())[:300]
    if ref.gated or "gated" in text.lower():
        return gated_message(ref, "download failed", exc)
    return f"{ref}: {type(exc).__name__}: {text}"
