"""Local checkpoints served under hub repo ids, offline, for loaders that only take hub ids.

mteb's open_clip loader builds `hf-hub:<name>`, its MoCo loader sets timm's `hf_hub_id`, its
OmniEmbed loader calls `snapshot_download` for the adapter and its base; all end in
huggingface_hub. `hub_repos` copies each checkpoint into a temporary hub cache as
`models--org--name/snapshots/<commit>` with `refs/main` pointing there, points huggingface_hub
at that cache and switches it to offline mode for the duration, so that the unmodified loader
resolves the ids (at `main` or at that commit) to the tiny checkpoints and nothing touches the
network.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

MAIN = "0" * 40


@contextlib.contextmanager
def hub_repos(repos: dict[str, tuple[Path, str]]) -> Iterator[Path]:
    """Serve `{repo_id: (checkpoint, commit)}` from a throw-away offline hub cache (its path)."""
    from huggingface_hub import constants

    with tempfile.TemporaryDirectory(prefix="mieb-hub-") as cache:
        for repo_id, (checkpoint, commit) in repos.items():
            repo = Path(cache) / ("models--" + repo_id.replace("/", "--"))
            shutil.copytree(checkpoint, repo / "snapshots" / commit)
            (repo / "refs").mkdir()
            (repo / "refs" / "main").write_text(commit, encoding="utf-8")
        saved = constants.HF_HUB_CACHE, constants.HF_HUB_OFFLINE
        constants.HF_HUB_CACHE, constants.HF_HUB_OFFLINE = cache, True
        try:
            yield Path(cache)
        finally:
            constants.HF_HUB_CACHE, constants.HF_HUB_OFFLINE = saved


@contextlib.contextmanager
def hub_repo(checkpoint: Path, repo_id: str) -> Iterator[str]:
    """Serve one `checkpoint` as `repo_id` (at `main`); yields the id."""
    with hub_repos({repo_id: (checkpoint, MAIN)}):
        yield repo_id
