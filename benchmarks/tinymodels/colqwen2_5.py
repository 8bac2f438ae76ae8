"""ColQwen2.5 (Qwen2.5-VL + 128-d token projection), laid out as `vidore/colqwen2.5-base`.

As `colqwen2.py` (same tokenizer, processor and key layout) on the Qwen2.5-VL backbone, whose
vision tower differs (RMSNorm, gated MLP, windowed attention in all blocks but
`fullatt_block_indexes`, `out_hidden_size` merger): vision 32-d, depth 2 (block 0 windowed with
a 56-px window, block 1 full attention).
"""

from __future__ import annotations

from pathlib import Path

from tinymodels._checkpoints import build_once
from tinymodels.colqwen2 import write_colqwen


def _write(out: Path, seed: int) -> None:
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLModel

    vision = dict(depth=2, hidden_size=32, intermediate_size=64, num_heads=2, out_hidden_size=64,
                  patch_size=14, spatial_merge_size=2, temporal_patch_size=2, window_size=56,
                  fullatt_block_indexes=[1], in_channels=3)  # fmt: skip
    names = ("ColQwen2_5", "ColQwen2_5_Processor")
    write_colqwen(out, seed, names, Qwen2_5_VLConfig, vision, Qwen2_5_VLModel)


def build(root: Path, seed: int = 0) -> Path:
    """Write the tiny ColQwen2.5 checkpoint under `root/colqwen2_5` (reused when already there)."""
    return build_once(root, "colqwen2_5", lambda out: _write(out, seed))
