"""EBind at full size: ebind's own PE-Core-L14-336 towers against pytest-mieb's conversion.

The parity family `ebind` checks the recipe on a tiny checkpoint; this checks the real sizes
without the real weights (no Hub access): ebind's `PEVisionEncoder` / `PETextEncoder` for
"PE-Core-L14-336" with random weights, saved in Meta's `.pt` key layout, converted by
`pytest_mieb.models.perception_encoder.pe_to_open_clip`, loaded strictly into open_clip's real
`PE-Core-L-14-336`; then one random image (ebind's transform vs ours) and two texts through both,
in fp32 and under bf16 autocast (CPU). Prints the missing / unexpected keys and the largest
differences. Run in mteb's venv (where `ebind` is installed) from the repository root:

    PYTHONPATH=. /work/mteb-venv/bin/python benchmarks/mteb_reference/check_ebind_full_size.py

About 6 GB of memory and a minute and a half on 2 CPU cores.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]
PE_NAME, ARCH = "PE-Core-L14-336", "PE-Core-L-14-336"


def main() -> int:
    import numpy as np
    import open_clip
    import torch
    import torch.nn.functional as F
    from parity_families.mteb_side.ebind import _stand_ins
    from PIL import Image

    from pytest_mieb.models.perception_encoder import (
        pe_image_transform,
        pe_to_open_clip,
        use_meta_pooling,
    )

    with _stand_ins():
        from ebind.models.perception_encoder import config, models
        from ebind.models.perception_encoder import transforms as pe_transforms
    torch.manual_seed(0)
    vision = models.PEVisionEncoder(config.PE_VISION_CONFIG[PE_NAME]).eval()
    text = models.PETextEncoder(config.PE_TEXT_CONFIG[PE_NAME]).eval()
    with torch.no_grad():  # Meta's init leaves some tensors empty (uninitialised memory)
        for param in [*vision.parameters(), *text.parameters()]:
            param.copy_(torch.randn_like(param) * 0.02)
    state = {f"visual.{k}": v for k, v in vision.state_dict().items()}
    state.update(text.state_dict())
    state["logit_scale"] = torch.tensor(2.6592600345611572)
    model = open_clip.create_model(ARCH, pretrained=None)
    result = model.load_state_dict(pe_to_open_clip(state, model), strict=False, assign=True)
    print(f"Meta keys {len(state)}; missing {result.missing_keys}; "
          f"unexpected {result.unexpected_keys}")  # fmt: skip
    use_meta_pooling(model.visual.trunk)
    model.eval()
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (300, 420, 3), np.uint8))
    theirs_px = pe_transforms.get_image_transform(336, center_crop=True)(image)[None]
    ours_px = pe_image_transform(336)(image)[None]
    tokens = open_clip.get_tokenizer(ARCH)(["a photo of a cat", "two dogs in the snow"])
    worst = {}
    with torch.inference_mode():
        for label, autocast in (("fp32", False), ("bf16", True)):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                pairs = {
                    "image": (vision(theirs_px), F.normalize(model.encode_image(ours_px), dim=-1)),
                    "text": (text(tokens), F.normalize(model.encode_text(tokens), dim=-1)),
                }
            for kind, (a, b) in pairs.items():
                worst[f"{kind}/{label}"] = float((a.float() - b.float()).abs().max())
    print(f"pixels equal: {torch.equal(theirs_px, ours_px)}")
    print("max|diff| " + ", ".join(f"{k} {v:.2e}" for k, v in worst.items()))
    ok = not result.missing_keys and not result.unexpected_keys and max(worst.values()) <= 1e-5
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
