"""Tiny laion-style open_clip model, laid out as the laion/CLIP-ViT-* hub repos hold it for
open_clip: `open_clip_config.json` (`model_cfg` + `preprocess_cfg`) and
`open_clip_model.safetensors` (an open_clip `CLIP` state dict, random init).

The text tower keeps the real vocabulary size (49408) and context length (77) because the
repos name no tokenizer, so open_clip uses its bundled CLIP BPE (`SimpleTokenizer`); width 16,
2 layers. Vision: 32 px, patch 8, width 32 (head width 16), 2 layers; `embed_dim` 16. The
preprocessing is open_clip's eval transform from `preprocess_cfg` (OpenAI mean/std, bicubic
shortest-side resize, centre crop). The real repos also carry transformers `CLIPModel` files;
this one holds only the open_clip files. (Written with open_clip's own `CLIP` class, so building
needs `open_clip_torch`.)
"""

from __future__ import annotations

import json
from pathlib import Path

from tinymodels._write_once import seeded, write_once
from tinymodels.clip import OPENAI_MEAN, OPENAI_STD

MODEL_CFG = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 2, "width": 32, "head_width": 16, "patch_size": 8},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 16, "heads": 2, "layers": 2},
}


def build(root: Path, seed: int = 0) -> Path:
    def write(out: Path) -> None:
        from open_clip.model import CLIP
        from safetensors.torch import save_file

        config = {
            "model_cfg": MODEL_CFG,
            "preprocess_cfg": {"mean": OPENAI_MEAN, "std": OPENAI_STD},
        }
        (out / "open_clip_config.json").write_text(json.dumps(config, indent=2), "utf-8")
        seeded(seed)
        model = CLIP(**MODEL_CFG).eval()
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        save_file(state, str(out / "open_clip_model.safetensors"))

    return write_once(root, "open_clip", write)
