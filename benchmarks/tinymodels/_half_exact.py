"""Make random weights exactly representable in bfloat16 and float16.

The multimodal-LLM wrappers load their checkpoints in bf16 or fp16 (GME fp16, LCO and VLM2Vec
bf16). A parity run casts the loaded model back to fp32; with weights that survive both casts
unchanged, that fp32 model equals the checkpoint bit for bit, so both sides can compare in fp32.
"""

from __future__ import annotations

from typing import Any

FP16_MIN_NORMAL = 2.0**-14  # smaller magnitudes would lose bits as fp16 subnormals


def round_weights(model: Any) -> Any:
    """Round every floating parameter and buffer of `model` in place; returns `model`."""
    import torch

    with torch.no_grad():
        for tensor in [*model.parameters(), *model.buffers()]:
            if not tensor.is_floating_point():
                continue
            rounded = tensor.to(torch.bfloat16).to(tensor.dtype)
            rounded[rounded.abs() < FP16_MIN_NORMAL] = 0.0
            tensor.copy_(rounded)
    return model
