"""A local checkpoint served under a hub repo id, offline, for loaders that only take hub ids.

mteb's open_clip loader builds `hf-hub:<name>` and its MoCo loader sets timm's `hf_hub_id`; both
end in `huggingface_hub.hf_hub_download`. `hub_repo` copies the checkpoint into a temporary hub
cache as `models--org--name/snapshots/<commit>` with `refs/main`, points huggingface_hub at that
cache and switches it to offline mode for the duration, so that the unmodified loader resolves
the id to the tiny checkpoint and nothing touches the network.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

COMMIT = "0" * 40


@contextlib.contextmanager
def hub_repo(checkpoint: Path, repo_id: str) -> Iterator[str]:
    """Serve `checkpoint` as `repo_id` from a throw-away offline hub cache."""
    from huggingface_hub import constants

    with tempfile.TemporaryDirectory(prefix="mieb-hub-") as cache:
        repo = Path(cache) / ("models--" + repo_id.replace("/", "--"))
        shutil.copytree(checkpoint, repo / "snapshots" / COMMIT)
        (repo / "refs").mkdir()
        (repo / "refs" / "main").write_text(COMMIT, encoding="utf-8")
        saved = constants.HF_HUB_CACHE, constants.HF_HUB_OFFLINE
        constants.HF_HUB_CACHE, constants.HF_HUB_OFFLINE = cache, True
        try:
            yield repo_id
        finally:
            constants.HF_HUB_CACHE, constants.HF_HUB_OFFLINE = saved
