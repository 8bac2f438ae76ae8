"""Test-wide guard: no test reaches the Hugging Face Hub or writes to the user's caches.

Set before huggingface_hub / datasets are imported, since they read these at import time.
"""

import os
import tempfile

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HOME", tempfile.mkdtemp(prefix="pytest-mieb-hf-home-"))
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
