"""EVA02-CLIP under its published ids (``QuanSun/EVA02-CLIP-B-16``, ``-L-14``, ``-bigE-14``,
``-bigE-14-plus``): the EVA repo's own ``.pt`` checkpoints on open_clip's EVA02 architectures.

The reference (mteb's ``evaclip_models``, MIEB-era) builds the model with the EVA repository's
``eva_clip`` code and loads ``QuanSun/EVA-CLIP/<file>.pt``. That code is not a package; open_clip
ships the same architectures (``EVA02-B-16`` ... ``EVA02-E-14-plus``: a timm ``Eva`` trunk and
an OpenAI-style text tower). The published row's params name the open_clip architecture and the
file (``published_models.toml``); the file is fetched with huggingface_hub at the pinned
revision of ``QuanSun/EVA-CLIP``, its vision keys are converted with timm's own
``eva.checkpoint_filter_fn`` (EVA names -> timm names; the rotary tables are recomputed), the
text keys are open_clip's already, and the result is loaded strictly: a weight the file does
not fill is an error (EVA's code loads with ``strict=False``).

Numerics: on CPU in fp32 the two code bases agree to 4e-7 (parity family ``eva_clip``). The
reference runs attention through xformers under fp16 autocast on CUDA; open_clip/timm use
``scaled_dot_product_attention`` under the same autocast, so CUDA embeddings differ at fp16
rounding level (see README, "EVA-CLIP").
"""

from __future__ import annotations

from typing import Any

from pytest_mieb.models.errors import (
    ModelLoadError,
    short,
    weights_not_loaded,
)
from pytest_mieb.models.fingerprints import pick_revision
from pytest_mieb.models.hf_loading import hub_file
from pytest_mieb.models.id_forms import ModelRef
from pytest_mieb.models.model_table import published_model
from pytest_mieb.models.open_clip_encoder import (
    OpenClipEncoder,
    open_clip_encoder,
    open_clip_precision,
)

#: Weights of the contrastive loss, not of the embedding model (a file may lack them).
LOSS_KEYS = ("logit_scale", "logit_bias")


def load_eva_clip(ref: ModelRef, *, device: str, dtype: Any) -> OpenClipEncoder:
    import open_clip
    import torch

    arch, repo, filename = _recipe(ref)
    path = hub_file(ref, repo, filename, ref.revision)
    revision = pick_revision(ref.revision, path)
    model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=None)
    state = eva_to_open_clip(torch.load(path, map_location="cpu", weights_only=True), model)
    result = model.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if k not in LOSS_KEYS]
    if missing:
        raise weights_not_loaded(ref.name, missing)
    if result.unexpected_keys:
        raise ModelLoadError(
            f"checkpoint {filename} of {ref.name!r} holds weights open_clip's {arch} has no "
            f"place for ({short(', '.join(sorted(result.unexpected_keys)))}); it does not "
            "match the architecture"
        )
    precision = open_clip_precision(dtype)
    model.to(device=device)
    if precision != "fp32":
        open_clip.model.convert_weights_to_lp(model, dtype=dtype)
    model.eval()
    model.requires_grad_(False)
    tokenizer = open_clip.get_tokenizer(arch)
    identity = {
        "adapter": "eva_clip",
        "model": [arch, repo, filename],
        "weights": f"commit:{revision}" if len(revision) == 40 else f"hub:{repo}@{revision}",
    }
    return open_clip_encoder(
        ref.name, revision, model, preprocess, tokenizer, device, dtype, identity
    )


def _recipe(ref: ModelRef) -> tuple[str, str, str]:
    """(open_clip architecture, weights repo, weights file) from the published row."""
    row = published_model(ref.target)
    params = row.params if row is not None else {}
    try:
        return params["open_clip_model"], params["weights_repo"], params["weights_file"]
    except KeyError:
        raise ModelLoadError(
            f"{ref.name!r} is not a published EVA-CLIP id (QuanSun/EVA02-CLIP-B-16, -L-14, "
            "-bigE-14, -bigE-14-plus); other EVA02 weights load with open_clip:EVA02-B-16/TAG"
        ) from None


def eva_to_open_clip(checkpoint: Any, model: Any) -> dict[str, Any]:
    """An EVA-CLIP checkpoint (the EVA repo's layout) as a state dict of open_clip's EVA02
    model `model`: the wrapper keys EVA's loader accepts (``model`` / ``module`` /
    ``state_dict``, a ``module.`` prefix) undone, vision keys through timm's converter."""
    from timm.models.eva import checkpoint_filter_fn

    state = checkpoint
    for key in ("model", "module", "state_dict"):
        if isinstance(state, dict) and key in state:
            state = state[key]
            break
    state = {(k[7:] if k.startswith("module.") else k): v for k, v in state.items()}
    if "text.logit_scale" in state:  # where some EVA checkpoints keep it (EVA renames it too)
        state["logit_scale"] = state.pop("text.logit_scale")
    visual = {k: v for k, v in state.items() if k.startswith("visual.")}
    trunk = model.visual.trunk
    out = {f"visual.trunk.{k}": v for k, v in checkpoint_filter_fn(visual, trunk).items()}
    out.update((k, v) for k, v in state.items() if not k.startswith("visual."))
    return out
