"""The offline suite's datasets: generated on the spot, then read like any mirror.

`materialize_local_datasets(root)` writes each dataset of `build.DATASETS` to
`root/pytest-mieb/<name>/` in its hub counterpart's layout and marks it with revision
`local-v1`; `suites/local/local.toml` points its tasks there, so the offline suite runs
the real loaders on the real mirror path end to end. Idempotent: a dataset already
holding the current revision is left alone; each is built aside and renamed into place.
"""

from __future__ import annotations

from pathlib import Path

from pytest_mieb.data.source import REVISION_MARKER

LOCAL_ORG = "pytest-mieb"
#: Bump when any builder's output changes, so stale copies are rebuilt.
LOCAL_REVISION = "local-v1"


def materialize_local_datasets(root: str | Path) -> list[Path]:
    """Write every offline-suite dataset under `root`; returns the directories (re)built."""
    import datasets as datasets_tqdm

    from pytest_mieb.data.local.build import DATASETS
    from pytest_mieb.data.local.layout import build_atomically

    bars_were_off = datasets_tqdm.are_progress_bars_disabled()
    datasets_tqdm.disable_progress_bars()
    try:
        built = []
        for name, build in DATASETS.items():
            target = Path(root) / LOCAL_ORG / name
            if build_atomically(target, REVISION_MARKER, LOCAL_REVISION, build):
                built.append(target)
        return built
    finally:
        if not bars_were_off:
            datasets_tqdm.enable_progress_bars()
