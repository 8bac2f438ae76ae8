"""Late-interaction retrievers (ColPali, ColQwen2, ColQwen2.5, ColSmol): token vectors per input.

Each input becomes a matrix of L2-normalised 128-d token vectors (`MultiVectors`), scored
against others with MaxSim (`pytest_mieb.metrics.maxsim`). The recipe is mteb 2.26's
`ColPaliEngineWrapper` (colpali-engine), run on the classes transformers ships:
`ColPaliForRetrieval` (PaliGemma), `ColQwen2ForRetrieval` (Qwen2-VL and Qwen2.5-VL backbones),
and, as transformers has no ColIdefics3, `Idefics3Model` + a linear projection (ColSmol).

* Texts (queries, and the text half of fused inputs): ``"Query: " + text`` followed by ten
  query-augmentation tokens (``<pad>`` / ``<|endoftext|>`` / ``<end_of_utterance>``, attended
  to like text), ColPali with one ``<bos>`` in front; no template, no truncation.
* Images: RGB, the family's fixed prompt (`FAMILIES`) through the backbone's processor, which
  expands its image token(s) to the image's visual tokens; image processors as transformers 5
  picks them (its torchvision backends), as mteb 2.26 runs them.
* Fused image+text inputs: the text's tokens, then the image's, as mteb concatenates them.
* Output: last hidden state -> projection -> L2 norm per token; padding tokens dropped.

Two transformers-5 details are reproduced on purpose (see README, "fidelity"):
ColPali's text decoder is run causally (PaliGemma's config makes an unpadded batch
bidirectional under transformers 5; mteb's batches of queries of different lengths are
padded and so causal; this adapter is causal for every batch, so results do not depend on
how queries are batched). ColQwen2's decoder gets the 3-D M-RoPE positions of image tokens,
which transformers' `ColQwen2ForRetrieval` leaves out and colpali-engine computes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from pytest_mieb.data.images import to_rgb
from pytest_mieb.embed.multivector import MultiVectors
from pytest_mieb.models.errors import ModelLoadError
from pytest_mieb.models.fingerprints import pick_revision
from pytest_mieb.models.hf_loading import checkpoint_identity, revision_of, translated_errors
from pytest_mieb.models.id_forms import ModelRef
from pytest_mieb.models.late_interaction_weights import (
    load_strict,
    projection_dim,
    read_state_dict,
)
from pytest_mieb.models.loaded import LoadedEncoder

QUERY_PREFIX = "Query: "
AUGMENTATION_TOKENS = 10


@dataclass(frozen=True)
class LateFamily:
    """One colpali-engine model class as mteb's wrapper drives it."""

    name: str
    processor: str  # the transformers processor class of the backbone
    augmentation: str  # the query augmentation token
    image_prompt: str
    text_bos: bool  # ColPali's process_texts prepends the tokenizer's BOS


FAMILIES: dict[str, LateFamily] = {
    "colpali": LateFamily(
        "colpali", "PaliGemmaProcessor", "<pad>", "<image><bos>Describe the image.", True
    ),
    "colqwen2": LateFamily(
        "colqwen2",
        "Qwen2VLProcessor",
        "<|endoftext|>",
        "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>"
        "Describe the image.<|im_end|><|endoftext|>",
        False,
    ),
    "colsmol": LateFamily(
        "colsmol",
        "Idefics3Processor",
        "<end_of_utterance>",
        "<|im_start|>User:<image>Describe the image.<end_of_utterance>\nAssistant:",
        False,
    ),
}
FAMILIES["colqwen2_5"] = replace(
    FAMILIES["colqwen2"], name="colqwen2_5", processor="Qwen2_5_VLProcessor"
)

#: colpali-engine class names (config.json `architectures`) and backbone model types.
_ARCHITECTURES = {"ColPali": "colpali", "ColQwen2": "colqwen2", "ColQwen2_5": "colqwen2_5",
                  "ColIdefics3": "colsmol"}  # fmt: skip
_MODEL_TYPES = {"paligemma": "colpali", "qwen2_vl": "colqwen2", "qwen2_5_vl": "colqwen2_5",
                "idefics3": "colsmol"}  # fmt: skip


def family_of(config: dict[str, Any]) -> str | None:
    """The late-interaction family a config.json describes, or None."""
    for arch in config.get("architectures") or ():
        if arch in _ARCHITECTURES:
            return _ARCHITECTURES[arch]
    return None


class LateInteractionEncoder(LoadedEncoder):
    """A ColPali-family model behind the `Encoder` protocol; every method returns
    `MultiVectors`. Images are handed over as PIL images (`image_transform` is None)."""

    similarity = "maxsim"

    def __init__(
        self,
        *,
        ref: ModelRef,
        family: LateFamily,
        model: Any,
        processor: Any,
        device: str,
        revision: str,
        identity: dict[str, Any],
    ) -> None:
        self._hold(
            name=ref.name,
            revision=revision,
            model=model,
            device=device,
            image_transform=None,
            identity=identity,
        )
        self.family = family
        self.processor = processor
        self._measure_embed_dim()

    def encode_texts(self, texts: Sequence[str]) -> MultiVectors:
        return MultiVectors.from_items(self._texts(texts), dim=getattr(self, "embed_dim", 0))

    def encode_images(self, images: Sequence[Any]) -> MultiVectors:
        return MultiVectors.from_items(self._images(images), dim=getattr(self, "embed_dim", 0))

    def encode_fused(self, images: Sequence[Any], texts: Sequence[str]) -> MultiVectors:
        if len(images) != len(texts):
            raise ValueError(
                f"fused inputs need as many texts as images: {len(images)} != {len(texts)}"
            )
        import torch

        text_rows, image_rows = self._texts(texts), self._images(images)
        items = [torch.cat([t, i]) for t, i in zip(text_rows, image_rows, strict=True)]
        parts = [(len(t), len(i)) for t, i in zip(text_rows, image_rows, strict=True)]
        return MultiVectors.from_items(items, parts=parts, dim=self.embed_dim)

    # -- model calls

    def _texts(self, texts: Sequence[str]) -> list[Any]:
        tokenizer = self.processor.tokenizer
        suffix = self.family.augmentation * AUGMENTATION_TOKENS
        bos = tokenizer.bos_token if self.family.text_bos else ""
        batch = [bos + QUERY_PREFIX + text + suffix for text in texts]
        inputs = dict(
            tokenizer(batch, padding="longest", return_tensors="pt", return_token_type_ids=False)
        )
        if self.family.name == "colpali":
            # One causal block: mteb's padded query batches are causal under transformers 5.
            inputs["token_type_ids"] = inputs["input_ids"].new_ones(inputs["input_ids"].shape)
        return self._token_rows(inputs)

    def _images(self, images: Sequence[Any]) -> list[Any]:
        prompts = [self.family.image_prompt] * len(images)
        inputs = self.processor(
            text=prompts, images=[to_rgb(im) for im in images], padding="longest",
            return_tensors="pt",
        )  # fmt: skip
        return self._token_rows(dict(inputs))

    def _token_rows(self, inputs: dict[str, Any]) -> list[Any]:
        import torch

        inputs.pop("labels", None)
        moved = {
            key: value.to(self.device, self.dtype if value.is_floating_point() else None)
            for key, value in inputs.items()
        }
        with torch.inference_mode():
            embeddings = self._forward(moved)
        mask = moved["attention_mask"].bool()
        out = embeddings.float().cpu()
        return [out[i][mask[i].cpu()] for i in range(out.shape[0])]

    def _forward(self, inputs: dict[str, Any]) -> Any:
        name = self.family.name
        if name == "colpali":
            return self.model(**inputs).embeddings
        if name == "colsmol":
            return self.model(**inputs)
        return _colqwen_forward(self.model, inputs)


def _colqwen_forward(model: Any, inputs: dict[str, Any]) -> Any:
    """`ColQwen2ForRetrieval` with colpali-engine's inputs: per-image padded pixel patches and
    the 3-D M-RoPE position ids of the image tokens (the class itself passes none)."""
    from torch.nn.utils.rnn import pad_sequence

    kwargs = {"input_ids": inputs["input_ids"], "attention_mask": inputs["attention_mask"]}
    if "pixel_values" in inputs:
        grid = inputs["image_grid_thw"]
        sizes = (grid[:, 0] * grid[:, 1] * grid[:, 2]).tolist()
        patches = list(inputs["pixel_values"].split(sizes))
        kwargs["pixel_values"] = pad_sequence(patches, batch_first=True)
        kwargs["image_grid_thw"] = grid
        kwargs["position_ids"] = model.vlm.get_rope_index(
            inputs["input_ids"], inputs["mm_token_type_ids"], grid,
            attention_mask=inputs["attention_mask"],
        )[0]  # fmt: skip
    return model(**kwargs).embeddings


class ColIdefics3:
    """ColSmol's module tree (`model`: Idefics3Model, `linear`: projection), built lazily so
    that importing this module does not import torch."""

    @staticmethod
    def build(config: Any, dim: int) -> Any:
        import torch
        from transformers import Idefics3Model

        class _ColIdefics3(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = Idefics3Model(config)
                self.linear = torch.nn.Linear(config.text_config.hidden_size, dim)

            def forward(self, **inputs: Any) -> Any:
                hidden = self.model(**inputs).last_hidden_state
                proj = self.linear(hidden.to(self.linear.weight.dtype))
                proj = proj / proj.norm(dim=-1, keepdim=True)
                return proj * inputs["attention_mask"].unsqueeze(-1)

        return _ColIdefics3()


def _build(family: str, config: Any, dim: int) -> Any:
    import transformers

    if family == "colpali":
        return transformers.ColPaliForRetrieval(
            transformers.ColPaliConfig(vlm_config=config, embedding_dim=dim)
        )
    if family in ("colqwen2", "colqwen2_5"):
        return transformers.ColQwen2ForRetrieval(
            transformers.ColQwen2Config(vlm_config=config, embedding_dim=dim)
        )
    return ColIdefics3.build(config, dim)


def _checkpoint_dir(ref: ModelRef) -> Path:
    """The checkpoint's files on disk: the directory, or the hub snapshot (downloaded)."""
    if ref.local:
        return Path(ref.target)
    from huggingface_hub import snapshot_download

    from pytest_mieb import hub

    with translated_errors(ref):
        return Path(
            snapshot_download(
                ref.target,
                revision=ref.revision,
                allow_patterns=["*.json", "*.safetensors", "*.model", "*.txt", "*.jinja"],
                local_files_only=hub.decide().local_only,
            )
        )


def load_late_interaction(ref: ModelRef, *, device: str, dtype: Any) -> LateInteractionEncoder:
    import torch
    import transformers
    from transformers import AutoConfig

    root = _checkpoint_dir(ref)
    base_root = None
    if (root / "adapter_config.json").is_file() and not (root / "config.json").is_file():
        base_id = json.loads((root / "adapter_config.json").read_text())["base_model_name_or_path"]
        base_root = _checkpoint_dir(ModelRef("late_interaction", base_id, base_id))
    config_root = base_root or root
    raw_config = json.loads((config_root / "config.json").read_text())
    family_name = family_of(raw_config) or _MODEL_TYPES.get(raw_config.get("model_type", ""))
    if family_name is None:
        raise ModelLoadError(
            f"{ref.name!r} is not a ColPali / ColQwen2 / ColQwen2.5 / ColSmol checkpoint "
            f"(architectures {raw_config.get('architectures')})"
        )
    family = FAMILIES[family_name]
    with translated_errors(ref):
        config = AutoConfig.from_pretrained(str(config_root))
        processor_root = root if (root / "tokenizer_config.json").is_file() else config_root
        processor = getattr(transformers, family.processor).from_pretrained(str(processor_root))
    if family_name != "colpali":
        processor.tokenizer.padding_side = "left"  # colpali-engine's processors force it
    state = read_state_dict(root, family_name, base_root)
    dim = projection_dim(state, family_name)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # built in its dtype, on its device: no fp32 CPU copy
    try:
        with torch.device(device):
            model = _build(family_name, config, dim)
    finally:
        torch.set_default_dtype(previous)
    load_strict(model, state, ref.name)
    model = model.to(device=device, dtype=dtype).eval().requires_grad_(False)
    revision = revision_of(ref, config) if ref.local else pick_revision(ref.revision, str(root))
    identity = {
        **checkpoint_identity("late-interaction", ref, revision, family_name, dtype),
        "lora_base": None if base_root is None else pick_revision(None, str(base_root)),
        "family": asdict(family),
        "image_processor": processor.image_processor.to_dict(),
        "query": [QUERY_PREFIX, AUGMENTATION_TOKENS],
    }
    return LateInteractionEncoder(
        ref=ref, family=family, model=model, processor=processor, device=device,
        revision=revision, identity=identity,
    )  # fmt: skip
