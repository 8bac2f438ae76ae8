"""DINOv3 through mteb 2.26's `dino_models.DINOModel`.

No published MIEB scores exist for DINOv3. transformers 5 has only a torchvision image processor
for it (`DINOv3ViTImageProcessor`), which is what mteb 2.26 uses. That class does not convert to
RGB (no `do_convert_rgb` default; the checkpoint's preprocessor file leaves it unset), and mteb
hands images over in their stored mode, so as written the wrapper fails on an RGBA, L or P image
("size of tensor a (4) must match ... (3)" in normalisation). The probes are therefore encoded
converted to RGB, the one input the wrapper can take; otherwise it runs as written. Embedding =
`last_hidden_state[:, 0]` (CLS; the register tokens after it are ignored), not normalised, fp32.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from mteb.models.model_implementations.dino_models import DINOModel

from parity_families.mteb_side import _mteb_calls


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    model = DINOModel(str(checkpoint), revision=None)
    return {"image": _mteb_calls.images_plain(model, _mteb_calls.rgb_images())}
