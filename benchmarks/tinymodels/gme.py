"""Tiny GME checkpoint (`Alibaba-NLP/gme-Qwen2-VL-2B-Instruct` / `-7B-Instruct` layout).

GME's repos are full Qwen2-VL checkpoints (`Qwen2VLForConditionalGeneration`, transformers 4.4x
layout) with the Qwen2 tokenizer and the Qwen2-VL image processor; their sentence-transformers
files (custom_st.py, modules.json) are not used by mteb's wrapper and are not written here.
"""

from __future__ import annotations

from pathlib import Path

from tinymodels import _qwen2_vl


def build(root: Path, seed: int = 0) -> Path:
    """Write (or reuse) `root/gme`."""
    return _qwen2_vl.write_checkpoint(Path(root) / "gme", seed)
