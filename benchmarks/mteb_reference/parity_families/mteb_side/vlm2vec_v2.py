"""VLM2Vec-V2.0 (Qwen2-VL + DoRA adapter) through mteb 2.26's `VLM2VEC2Wrapper`
(mteb/models/model_implementations/vlm2vec_models.py).

The wrapper loads the base from the hard-coded id `Qwen/Qwen2-VL-2B-Instruct`, then
`PeftModel.from_pretrained(base, <adapter repo>)` and `merge_and_unload()`. Its ModelMeta lists
the extra `transformers-v4` (transformers < 5), and it needs it: the adapter is saved under
transformers 4.4x module names (`base_model.model.model.layers.N...`); on transformers 5 the
text layers live under `model.language_model.layers` and peft 0.21 does not rename adapter keys
for Qwen2-VL, so it only warns "Found missing adapter keys" and `merge_and_unload()` returns the
bare base model (verified on the tiny checkpoint). On transformers 4.57 (what the extra
installs) the Qwen2-VL class carries a `_checkpoint_conversion_mapping` that peft applies to the
adapter keys, and the adapter is merged. (On 4.51 the names match directly, but its Qwen2-VL
image processor rejects images under 28 px a side, e.g. the 17 x 23 probe.) So, like GME, it
runs in the environment `MIEB_PARITY_TRANSFORMERS_VLM2VEC_V2` names (see `_other_transformers`):

    python3 -m venv /tmp/mteb-tf4 && /tmp/mteb-tf4/bin/pip install \
        "mteb[peft,transformers-v4]==2.26.24" "sentence-transformers<5" "datasets<4" \
        torch torchvision pillow

The base comes from the tiny hub cache the tinymodel writes beside the adapter: the wrapper
forwards its extra kwargs to the base's `from_pretrained`, so `cache_dir=` +
`local_files_only=True` point it there. `torch_dtype=torch.float32` is the wrapper's own option
(default bfloat16), so that the DoRA merge and the forward run in fp32 for the comparison. A check
that the merge changed the weights guards against the silent no-adapter case.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from parity_families.mteb_side import _other_transformers, _probe_runs

REQUIREMENT = "<5"
ENV_VAR = "MIEB_PARITY_TRANSFORMERS_VLM2VEC_V2"
SETUP = (
    'python3 -m venv X && X/bin/pip install "mteb[peft,transformers-v4]==2.26.24" '
    '"sentence-transformers<5" "datasets<4" torch torchvision pillow'
)


def _adapter_applied(wrapper: object, base_dir: Path) -> bool:
    """Whether the merged q_proj of layer 0 differs from the base's (PEFT matched the names)."""
    import torch
    from safetensors import safe_open

    with safe_open(str(base_dir / "model.safetensors"), "pt") as f:
        base = f.get_tensor("model.layers.0.self_attn.q_proj.weight")
    merged = dict(wrapper.model.named_parameters())
    name = next(n for n in merged if n.endswith("layers.0.self_attn.q_proj.weight"))
    return not torch.equal(merged[name].detach().float(), base.float())


def embed_here(checkpoint: Path) -> dict[str, np.ndarray]:
    import torch
    from mteb.models.model_implementations.vlm2vec_models import VLM2VEC2Wrapper
    from tinymodels import vlm2vec_v2

    wrapper = VLM2VEC2Wrapper(
        str(checkpoint),
        device="cpu",
        torch_dtype=torch.float32,
        cache_dir=str(vlm2vec_v2.hub_cache(checkpoint)),
        local_files_only=True,
    )
    if not _adapter_applied(wrapper, vlm2vec_v2.base_checkpoint(checkpoint)):
        raise RuntimeError("the adapter was not applied (PEFT did not match its weight names)")
    return _probe_runs.encode_all(wrapper.encode)


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    return _other_transformers.run(
        __name__, checkpoint, embed_here, requirement=REQUIREMENT, env_var=ENV_VAR, setup=SETUP
    )


if __name__ == "__main__":
    _other_transformers.main(embed_here, REQUIREMENT)
