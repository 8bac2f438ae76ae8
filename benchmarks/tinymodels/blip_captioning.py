"""Tiny BLIP captioning model (transformers `BlipForConditionalGeneration`), laid out as
Salesforce/blip-image-captioning-base: the same tokenizer and preprocessor files as `blip`, but
the weights of a captioner (vision tower + `text_decoder`), with no text encoder and no
`vision_proj` / `text_proj`. mteb loads these repos with `BlipForImageTextRetrieval`, which
then initialises the missing parts at random on every load; this checkpoint shows that.
"""

from __future__ import annotations

from pathlib import Path

from tinymodels._write_once import seeded, write_once
from tinymodels.blip import write_blip_files


def build(root: Path, seed: int = 0) -> Path:
    def write(out: Path) -> None:
        from transformers import BlipForConditionalGeneration

        config = write_blip_files(out)
        seeded(seed)
        BlipForConditionalGeneration(config).eval().save_pretrained(out)

    return write_once(root, "blip_captioning", write)
