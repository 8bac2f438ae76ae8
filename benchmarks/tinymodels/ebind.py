"""EBind (encord-team/ebind-full), tiny: a Perception Encoder checkpoint in Meta's `.pt` layout
and an ebind-full-like repo.

On images and texts EBind is its Perception Encoder backbones (PE-Core-L14-336): the vision and
text towers of `facebook/PE-Core-L14-336/PE-Core-L14-336.pt`, a flat state dict in Meta's
`perception_models` names (``visual.conv1.weight``, ``visual.transformer.resblocks.N...``,
``visual.attn_pool.attn.in_proj_weight``, ``visual.proj``; the text tower at the top level:
``token_embedding.weight``, ``transformer.resblocks.N...``, ``ln_final``, ``text_projection``;
``logit_scale``). The ebind-full repo itself holds only `config.json` (modalities) and the
audio / points projectors, which image and text never use.

This writes, under `<root>/ebind/`:

* `pe/PE-Core-L14-336.pt`: a tiny PE-Core with the L14-336 feature set (class token, 2-D RoPE
  with the class token at (0, 0), absolute position embeddings, pre-norm, attention pooling with
  8 heads, a projection; causal text transformer pooled at the EOT token, context 32, the CLIP
  vocabulary). Built without Meta's or ebind's code: timm's PE `Eva` tower and open_clip's text
  tower with random weights, renamed to Meta's names (`TO_META`, written from ebind's `pe.py`
  module tree).
* `ebind-full/config.json` and an empty `model.safetensors`: an EBind config naming image, video
  and text only, so no projector exists (the real repo also names audio and points, whose
  projectors it holds and whose backbones need ImageBind / Uni3D weights; image and text never
  touch them).
* `pe_config.json`: the tiny sizes, in ebind's `PEConfig` / `PETextConfig` field names, so the
  mteb side can put them in ebind's config table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinymodels._checkpoints import build_once, save_weights, write_json

WIDTH, LAYERS, HEADS, PATCH, IMAGE, EMBED, POOL_HEADS = 64, 2, 2, 14, 56, 32, 8
TEXT = {"context_length": 32, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2}
WEIGHTS = "PE-Core-L14-336.pt"
#: timm's name of the real tower; the tiny one is it with smaller sizes.
TIMM_BASE = "vit_pe_core_large_patch14_336"
TIMM_ARGS: dict[str, Any] = dict(
    img_size=IMAGE, embed_dim=WIDTH, depth=LAYERS, num_heads=HEADS,
    ref_feat_shape=(IMAGE // PATCH, IMAGE // PATCH), attn_pool_num_heads=POOL_HEADS,
)  # fmt: skip
#: ebind's PEConfig / PETextConfig of the tiny model (the fields that differ from L14-336's).
PE_CONFIG = {
    "vision": {"image_size": IMAGE, "patch_size": PATCH, "width": WIDTH, "layers": LAYERS,
               "heads": HEADS, "mlp_ratio": 4.0, "pool_type": "attn", "output_dim": EMBED,
               "use_cls_token": True, "attn_pooler_heads": POOL_HEADS},
    "text": {**TEXT, "output_dim": EMBED},
}  # fmt: skip
#: timm PE name -> Meta name, per block / pooler piece (applied in order, first match).
TO_META = [
    ("patch_embed.proj.", "conv1."), ("norm_pre.", "ln_pre."), ("norm.", "ln_post."),
    ("attn_pool.norm.", "attn_pool.layernorm."), ("attn_pool.proj.", "attn_pool.attn.out_proj."),
    ("attn_pool.mlp.fc1.", "attn_pool.mlp.c_fc."), ("attn_pool.mlp.fc2.", "attn_pool.mlp.c_proj."),
]  # fmt: skip
BLOCK_TO_META = [("norm1.", "ln_1."), ("norm2.", "ln_2."), ("attn.qkv.", "attn.in_proj_"),
                 ("attn.proj.", "attn.out_proj."), ("mlp.fc1.", "mlp.c_fc."),
                 ("mlp.fc2.", "mlp.c_proj.")]  # fmt: skip


def tiny_tower(seed: int) -> Any:
    """timm's PE vision tower with the tiny sizes (random init from `seed`)."""
    import timm
    import torch

    torch.manual_seed(seed)
    return timm.create_model(TIMM_BASE, pretrained=False, num_classes=EMBED, **TIMM_ARGS).eval()


def tiny_text(seed: int) -> Any:
    """open_clip's text tower with the tiny sizes (random init from `seed`)."""
    import torch
    from open_clip.model import CLIPTextCfg, _build_text_tower

    torch.manual_seed(seed)
    return _build_text_tower(EMBED, CLIPTextCfg(**TEXT)).eval()


def to_meta_visual(state: dict[str, Any]) -> dict[str, Any]:
    """A timm PE tower's state dict in Meta's names (``visual.`` prefix); the head's bias must
    be zero (Meta's tower has a bias-free projection)."""
    import torch

    out: dict[str, Any] = {}
    for key, value in state.items():
        if key == "cls_token":
            out["class_embedding"] = value.reshape(-1)
        elif key == "pos_embed":
            out["positional_embedding"] = value[0]
        elif key == "head.weight":
            out["proj"] = value.t()
        elif key == "head.bias":
            if torch.count_nonzero(value):
                raise ValueError("Meta's PE projection has no bias")
        elif key == "attn_pool.latent":
            out["attn_pool.probe"] = value
        elif key.startswith("attn_pool.q."):
            kind = key.rsplit(".", 1)[1]
            kv = state[f"attn_pool.kv.{kind}"]
            out[f"attn_pool.attn.in_proj_{kind}"] = torch.cat([value, kv])
        elif key.startswith("attn_pool.kv."):
            continue
        elif key.startswith("blocks."):
            _, index, rest = key.split(".", 2)
            for old, new in BLOCK_TO_META:
                if rest.startswith(old):
                    rest = new + rest[len(old) :]
                    break
            out[f"transformer.resblocks.{index}.{rest}"] = value
        else:
            for old, new in TO_META:
                if key.startswith(old):
                    key = new + key[len(old) :]
                    break
            out[key] = value
    return {f"visual.{k}": v for k, v in out.items()}


def _write(out: Path, seed: int) -> None:
    import torch

    tower, text = tiny_tower(seed), tiny_text(seed + 1)
    with torch.no_grad():  # non-default norms and biases, so that no mapping error hides
        gen = torch.Generator().manual_seed(seed + 2)
        for module in (tower, text):
            for name, value in module.state_dict().items():
                if value.dim() == 1 and value.is_floating_point() and name != "head.bias":
                    value.add_(0.05 * torch.randn(value.shape, generator=gen))
        tower.head.bias.zero_()
    state = to_meta_visual(tower.state_dict())
    state.update(text.state_dict())
    state["logit_scale"] = torch.tensor(2.6592600345611572)  # log(1 / 0.07), as PE's init
    (out / "pe").mkdir()
    torch.save({k: v.contiguous().clone() for k, v in state.items()}, out / "pe" / WEIGHTS)
    (out / "ebind-full").mkdir()
    write_json(out / "ebind-full" / "config.json", {
        "architectures": ["EBindModel"], "model_type": "ebind",
        "modalities": ["image", "video", "text"], "torch_dtype": "float32",
    })  # fmt: skip
    save_weights({}, out / "ebind-full" / "model.safetensors")  # no projector for image / text
    write_json(out / "pe_config.json", PE_CONFIG)


def build(root: Path, seed: int = 0) -> Path:
    """Write the tiny EBind checkpoint under `root/ebind` (reused when already there)."""
    return build_once(root, "ebind", lambda out: _write(out, seed))


TINY_TIMM = "vit_pe_core_tiny_for_parity"
#: open_clip's name of the architecture EBind's PE-Core-L14-336 loads into.
OPEN_CLIP_ARCH = "PE-Core-L-14-336"


def register_open_clip_arch(name: str = OPEN_CLIP_ARCH) -> dict[str, Any] | None:
    """Make open_clip's architecture `name` the tiny one (timm's PE tower with the tiny sizes,
    registered with timm under `TINY_TIMM`); returns open_clip's previous config of `name` so a
    caller can put it back (`restore_open_clip_arch`)."""
    import timm
    from open_clip.factory import _MODEL_CONFIGS
    from timm.models import is_model, register_model

    if not is_model(TINY_TIMM):

        def build(pretrained: bool = False, **kwargs: Any) -> Any:
            for key in ("pretrained_cfg", "pretrained_cfg_overlay", "cache_dir"):
                kwargs.pop(key, None)
            return timm.create_model(TIMM_BASE, pretrained=False, **{**TIMM_ARGS, **kwargs})

        build.__name__ = TINY_TIMM
        register_model(build)
    previous = _MODEL_CONFIGS.get(name)
    _MODEL_CONFIGS[name] = {
        "embed_dim": EMBED, "custom_text": True, "text_cfg": dict(TEXT),
        "vision_cfg": {"image_size": IMAGE, "timm_model_name": TINY_TIMM,
                       "timm_model_pretrained": False, "timm_pool": "map", "timm_proj": None},
    }  # fmt: skip
    return previous


def restore_open_clip_arch(previous: dict[str, Any] | None, name: str = OPEN_CLIP_ARCH) -> None:
    from open_clip.factory import _MODEL_CONFIGS

    if previous is None:
        _MODEL_CONFIGS.pop(name, None)
    else:
        _MODEL_CONFIGS[name] = previous
