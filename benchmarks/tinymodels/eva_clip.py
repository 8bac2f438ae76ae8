"""EVA02-CLIP (QuanSun/EVA-CLIP), tiny, as the EVA repo's `eva_clip` code loads it.

The published `QuanSun/EVA02-CLIP-B-16/-L-14/-bigE-14(-plus)` weights are single `.pt` state
dicts in the `QuanSun/EVA-CLIP` repo; their model configs live in the EVA code repo
(`EVA-CLIP/rei/eva_clip/model_configs/*.json`). This writes both for a tiny model with the
B-16 feature set (EVA02 vision: rotary embeddings interpolated from a 4x4 to a 3x3 grid as
16 -> 14 in B-16, SwiGLU MLP with sub-LN, attention inner LN, q/v biases; OpenAI-style text
transformer): `EVA02_CLIP_tiny.pt` (EVA key names) and `EVA02-CLIP-tiny.json` (EVA config,
xattn off: the real configs ask for xformers). Built without the EVA code: timm's `Eva` tower
and open_clip's text tower with the same random weights, keys renamed to EVA's (the inverse of
timm's `eva.checkpoint_filter_fn`), so the same file also loads into open_clip 3.3's EVA02
architecture (`open_clip_config.json`, timm model `eva02_base_patch16_clip_224` with tiny
sizes) — see /work/notes/family-eva_clip.md for how close the two are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tinymodels._checkpoints import build_once, write_json

WIDTH, LAYERS, HEADS, PATCH, IMAGE, EMBED, PT_GRID = 64, 2, 2, 16, 48, 32, 4
NAME = "EVA02-CLIP-tiny"
EVA_CONFIG: dict[str, Any] = {
    "embed_dim": EMBED,
    "vision_cfg": {"image_size": IMAGE, "layers": LAYERS, "width": WIDTH,
                   "head_width": WIDTH // HEADS, "patch_size": PATCH, "mlp_ratio": 2.6667,
                   "eva_model_name": "eva-clip-b-16-X", "drop_path_rate": 0.0, "xattn": False,
                   "fusedLN": True, "rope": True,
                   "pt_hw_seq_len": PT_GRID, "intp_freq": True, "naiveswiglu": True, "subln": True},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": WIDTH, "heads": HEADS,
                 "layers": LAYERS, "xattn": False, "fusedLN": True},
}  # fmt: skip
#: timm `Eva` arguments of the same tower (open_clip's EVA02-B-16: eva02_base_patch16_clip_224).
TIMM_ARGS: dict[str, Any] = dict(
    img_size=IMAGE, patch_size=PATCH, embed_dim=WIDTH, depth=LAYERS, num_heads=HEADS,
    qkv_fused=False, mlp_ratio=4 * 2 / 3, swiglu_mlp=True, scale_mlp=True, scale_attn_inner=True,
    use_rot_pos_emb=True, ref_feat_shape=(PT_GRID, PT_GRID), global_pool="token",
    num_classes=EMBED,
)  # fmt: skip
#: timm Eva name -> EVA repo name (order matters: fc1_g before fc1_x before fc2).
TO_EVA = [("mlp.norm.", "mlp.ffn_ln."), ("attn.norm.", "attn.inner_attn_ln."),
          ("mlp.fc1_g.", "mlp.w1."), ("mlp.fc1_x.", "mlp.w2."), ("mlp.fc2.", "mlp.w3."),
          ("attn.q_proj.bias", "attn.q_bias"), ("attn.v_proj.bias", "attn.v_bias")]  # fmt: skip


def _eva_key(key: str, renames: list[tuple[str, str]]) -> str:
    for old, new in renames:
        key = key.replace(old, new)
    return "visual." + key


def _write(out: Path, seed: int, eva_config: dict[str, Any] = EVA_CONFIG,
           timm_args: dict[str, Any] = TIMM_ARGS, renames: list[tuple[str, str]] = TO_EVA,
           timm_name: str = "eva02_base_patch16_clip_224") -> None:  # fmt: skip
    """The tiny checkpoint of one feature set: EVA's config, timm's `Eva` arguments of the
    same tower, and the timm -> EVA key renames that feature set needs."""
    import torch
    from open_clip.model import CLIPTextCfg, _build_text_tower
    from timm.models.eva import Eva

    torch.manual_seed(seed)
    visual = Eva(**timm_args).eval()
    text_cfg = {k: v for k, v in eva_config["text_cfg"].items() if k not in ("xattn", "fusedLN")}
    text = _build_text_tower(EMBED, CLIPTextCfg(**text_cfg)).eval()
    state = {_eva_key(k, renames): v for k, v in visual.state_dict().items() if "rope" not in k}
    state.update({f"text.{k}": v for k, v in text.state_dict().items()})
    state["logit_scale"] = torch.tensor(2.6592600345611572)  # log(1 / 0.07), as both inits
    # non-default norms and biases, so that no mapping error hides behind 1s and 0s
    with torch.no_grad():
        gen = torch.Generator().manual_seed(seed + 1)
        for value in state.values():
            if value.dim() == 1 and value.is_floating_point():
                value.add_(0.05 * torch.randn(value.shape, generator=gen))
    torch.save({k: v.contiguous().clone() for k, v in state.items()}, out / "EVA02_CLIP_tiny.pt")
    write_json(out / f"{NAME}.json", eva_config)
    timm_overrides = {k: v for k, v in timm_args.items() if k not in ("global_pool", "num_classes")}
    write_json(out / "open_clip_config.json", {"model_cfg": {
        "embed_dim": EMBED, "custom_text": True,
        "vision_cfg": {"image_size": IMAGE, "timm_model_name": timm_name,
                       "timm_model_pretrained": False, "timm_pool": "token", "timm_proj": None,
                       "timm_kwargs_for_tiny": timm_overrides},
        "text_cfg": text_cfg,
    }, "preprocess_cfg": {"mean": [0.48145466, 0.4578275, 0.40821073],
                          "std": [0.26862954, 0.26130258, 0.27577711]}})  # fmt: skip


def build(root: Path, seed: int = 0) -> Path:
    """Write the tiny EVA02-CLIP checkpoint under `root/eva_clip` (reused when already there)."""
    return build_once(root, "eva_clip", lambda out: _write(out, seed))


TINY_TIMM = "eva02_tiny_for_parity"  # + the checkpoint directory's name


def register_open_clip_arch(checkpoint: Path, name: str) -> dict[str, Any]:
    """Make open_clip's architecture `name` the tiny one of `checkpoint` (a custom timm `Eva`
    registered with timm, as a custom architecture must be); returns open_clip's previous config
    of `name` (None if it had none) so a caller can put it back (`restore_open_clip_arch`)."""
    import json

    from open_clip.factory import _MODEL_CONFIGS
    from timm.models import is_model, register_model
    from timm.models.eva import Eva

    config = json.loads((Path(checkpoint) / "open_clip_config.json").read_text())["model_cfg"]
    timm_args = config["vision_cfg"].pop("timm_kwargs_for_tiny")
    timm_name = f"{TINY_TIMM}_{Path(checkpoint).name}"
    if not is_model(timm_name):

        def build(pretrained: bool = False, **kwargs: Any) -> Any:
            for key in ("pretrained_cfg", "pretrained_cfg_overlay", "cache_dir"):
                kwargs.pop(key, None)
            return Eva(**{**timm_args, **kwargs})

        build.__name__ = timm_name
        register_model(build)
    config["vision_cfg"]["timm_model_name"] = timm_name
    previous = _MODEL_CONFIGS.get(name)
    _MODEL_CONFIGS[name] = config
    return previous


def restore_open_clip_arch(name: str, previous: dict[str, Any] | None) -> None:
    from open_clip.factory import _MODEL_CONFIGS

    if previous is None:
        _MODEL_CONFIGS.pop(name, None)
    else:
        _MODEL_CONFIGS[name] = previous
