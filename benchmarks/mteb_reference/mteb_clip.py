"""mteb 2.26's own CLIP wrapper around a local tiny CLIP, for the timed mteb workers.

mteb only evaluates a model with a `ModelMeta`; the tiny CLIP borrows openai/clip-vit-base-
patch32's under a local name, with its own width and parameter count. Run in mteb's venv.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def tiny_clip_for_mteb(model_dir: Path, name: str) -> Any:
    """mteb's `CLIPModel` on `model_dir` (CPU), carrying a `ModelMeta` named `name`."""
    import mteb
    from mteb.models.model_implementations.clip_models import CLIPModel

    model = CLIPModel(str(model_dir), revision=None, device="cpu")
    template = mteb.get_model_meta("openai/clip-vit-base-patch32")
    model.mteb_model_meta = template.model_copy(
        update={
            "name": name,
            "revision": "0" * 40,
            "embed_dim": int(model.model.config.projection_dim),
            "n_parameters": sum(p.numel() for p in model.model.parameters()),
            "reference": None,
        }
    )
    return model
