"""Tiny Qwen2.5-Omni thinker repo, standing for Tevatron/Qwen2.5-Omni-7B-Thinker (the base that
the OmniEmbed LoRA adapter names): `config.json` (`Qwen2_5OmniThinkerForConditionalGeneration`),
`model.safetensors` (random init) and the `Qwen2_5OmniProcessor` files (`_qwen_omni`).
"""

from __future__ import annotations

from pathlib import Path

from tinymodels._qwen_omni import write_thinker
from tinymodels._write_once import write_once


def build(root: Path, seed: int = 0) -> Path:
    return write_once(root, "omni_thinker", lambda out: write_thinker(out, seed))
