"""`python -m pytest_mieb run` with an API model: key and budget from the environment, usage
printed after the scores."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def test_cli_run_prints_the_api_usage(api: Any, tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "GOOGLE_API_KEY": "g-test", "GOOGLE_GEMINI_BASE_URL": api.url,
           "MIEB_API_CACHE_DIR": str(tmp_path / "api")}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "pytest_mieb", "run", "google/gemini-embedding-2",
         "LocalDigitsZeroShot"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    sent = api.count(":batchEmbedContents")
    assert sent >= 1
    last = done.stdout.splitlines()[-1]
    assert last.startswith(f"google/gemini-embedding-2: {sent} API requests, ")
    assert last.endswith("; 0 inputs from the API cache")
