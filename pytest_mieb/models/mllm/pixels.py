"""The Qwen-VL image processors' pixel limits, set after loading as the recipes set them.

mteb passes ``min_pixels`` / ``max_pixels`` to ``from_pretrained`` (GME, Qwen3-VL-Embedding),
which overrides the checkpoint's; transformers 5 keeps them as the processor's target size
(``size.shortest_edge`` / ``size.longest_edge``) and deprecates them as call arguments.
"""

from __future__ import annotations

import dataclasses
from typing import Any


def set_pixel_limits(image_processor: Any, min_pixels: int, max_pixels: int) -> None:
    size = image_processor.size
    if dataclasses.is_dataclass(size):  # transformers 5's SizeDict
        image_processor.size = dataclasses.replace(
            size, shortest_edge=min_pixels, longest_edge=max_pixels
        )
    else:  # transformers 4.x
        image_processor.size = {"shortest_edge": min_pixels, "longest_edge": max_pixels}
        image_processor.min_pixels, image_processor.max_pixels = min_pixels, max_pixels
