"""Meta's Perception Encoder (PE-Core) as ebind uses it, on open_clip's PE-Core architecture.

Three pieces, each matching ebind's copy of Meta's ``perception_models`` code:

* `pe_to_open_clip`: a Meta PE ``.pt`` state dict as open_clip's (vision keys through timm's own
  converter, text keys under ``text.``);
* `MetaAttentionPool`: the vision tower's attention pooling computed as Meta's
  ``nn.MultiheadAttention`` computes it (batch-first inputs transposed, one packed in-projection
  split q / kv). timm's ``AttentionPoolLatent`` holds the same weights and is equal in fp32, but
  under bf16 autocast its differently laid out matmuls round differently (up to 3e-3 on the
  normalised tiny-model embeddings); this way they agree bit for bit;
* `pe_image_transform`: ebind's PE image transform.

Imported by the EBind adapter only when such a model loads (it imports torch).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from pytest_mieb.models.errors import ModelLoadError

#: ebind's PE image transform: mean and std of every channel.
PE_MEAN_STD = 0.5


class MetaAttentionPool(nn.Module):
    """timm's ``AttentionPoolLatent`` (one latent, token pooling), run as Meta's
    ``AttentionPooling``: ``x = MHA(probe, x, x); x = x + mlp(layernorm(x))``."""

    def __init__(self, pool: nn.Module) -> None:
        super().__init__()
        if getattr(pool, "latent_len", 1) != 1 or getattr(pool, "pos_embed", None) is not None:
            raise ModelLoadError("PE attention pooling has one latent and no position embedding")
        self.pool = pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool = self.pool
        query = pool.latent.expand(x.shape[0], -1, -1).to(x.dtype)
        weight = torch.cat([pool.q.weight, pool.kv.weight])
        bias = torch.cat([pool.q.bias, pool.kv.bias])
        key = x.transpose(0, 1)  # nn.MultiheadAttention(batch_first=True) does so, key is value
        out, _ = F.multi_head_attention_forward(
            query.transpose(0, 1), key, key, x.shape[-1], pool.num_heads, weight, bias,
            None, None, False, 0.0, pool.proj.weight, pool.proj.bias,
            training=False, need_weights=False,
        )  # fmt: skip
        out = out.transpose(0, 1)
        out = out + pool.mlp(pool.norm(out))
        return out[:, 0]


def use_meta_pooling(trunk: nn.Module) -> None:
    """Route the timm PE trunk's attention pooling through `MetaAttentionPool` (after loading:
    the state dict keeps timm's names)."""
    trunk.attn_pool = MetaAttentionPool(trunk.attn_pool)


def pe_to_open_clip(checkpoint: Any, model: nn.Module) -> dict[str, Any]:
    """A Meta PE checkpoint (the ``.pt`` layout ebind loads: optionally wrapped in
    ``state_dict`` / ``weights``, ``module.`` prefixes) as a state dict of open_clip's PE-Core
    model `model`: ``visual.*`` through timm's converter into the trunk, ``logit_scale`` kept,
    every other key the text tower's (as ebind's text loader takes them)."""
    from timm.models.eva import checkpoint_filter_fn

    state = checkpoint
    for key in ("state_dict", "weights"):
        if isinstance(state, dict) and key in state:
            state = state[key]
            break
    if not isinstance(state, dict):
        raise ModelLoadError(f"not a Perception Encoder checkpoint: a {type(state).__name__}")
    state = {k.replace("module.", ""): v for k, v in state.items()}  # as ebind's loaders do
    if "visual.conv1.weight" not in state:
        raise ModelLoadError(
            "not a Perception Encoder checkpoint: no visual.conv1.weight (Meta's PE layout)"
        )
    visual = {k: v for k, v in state.items() if k.startswith("visual.")}
    trunk = model.visual.trunk  # type: ignore[union-attr]
    out = {f"visual.trunk.{k}": v for k, v in checkpoint_filter_fn(visual, trunk).items()}
    for key, value in state.items():
        if key == "logit_scale":
            out[key] = value
        elif not key.startswith("visual."):
            out[f"text.{key}"] = value
    return out


def pe_image_transform(size: int) -> Any:
    """ebind's PE image transform (``center_crop=True``): resize the shorter side to `size`
    (bilinear, antialiased PIL), centre crop, RGB conversion after the resize, to tensor,
    normalise with 0.5 / 0.5."""
    from torchvision import transforms

    return transforms.Compose([
        transforms.Resize(size, interpolation=transforms.InterpolationMode.BILINEAR),
        transforms.CenterCrop(size),
        transforms.Lambda(_to_rgb),
        transforms.ToTensor(),
        transforms.Normalize([PE_MEAN_STD] * 3, [PE_MEAN_STD] * 3),
    ])  # fmt: skip


def _to_rgb(image: Any) -> Any:
    return image.convert("RGB")
