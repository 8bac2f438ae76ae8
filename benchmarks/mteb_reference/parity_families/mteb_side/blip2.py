"""BLIP-2 through mteb 2.26's own `blip2_loader` wrapper code, with LAVIS's `Blip2ITM` stood in.

mteb's wrapper cannot run as written: it imports LAVIS (`salesforce-lavis` pins transformers
< 4.27 and timm 0.4.12, so it cannot share a venv with mteb 2.26) and calls
`Blip2ITM.from_pretrained(model_type, revision=...)`, which LAVIS's signature does not accept
(TypeError). So this check runs **mteb's wrapper code unmodified** (its tokenizer call, which
outputs it takes, `extract_features` for image+text rows) on a faithful re-implementation of
the four LAVIS `Blip2Qformer` members the wrapper uses, written from LAVIS 1.0.2's source onto
transformers' `Blip2ForImageTextRetrieval` modules (the format the LAVIS weights were converted
to): `tokenizer` (BERT uncased + `[DEC]` bos), `max_txt_len` 32, `forward_text`,
`forward_image`, `extract_features` (mode multimodal) and the "pretrain" build's fp16 ViT
(`convert_weights_to_fp16` on Linear/Conv layers, then mteb's `.float()`). The fake module is
put in `sys.modules` as `lavis.models.blip2_models.blip2_image_text_matching`; the tiny
checkpoint is served offline as `Salesforce/blip2-opt-2.7b` for `Blip2Processor`, whose image
processor is the PIL class as in the published (transformers 4) run. Images are converted to
RGB first, as the MIEB-era evaluators did.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import torch

from parity_families.mteb_side import _mteb_calls
from parity_families.mteb_side._offline_hub import MAIN, hub_repo

PUBLISHED_ID = "Salesforce/blip2-opt-2.7b"


class _Bert:
    """LAVIS's `Qformer.bert(input_ids, query_embeds, attention_mask, encoder_*)`: BERT
    embeddings (query embeddings first, then word + position embeddings, then LayerNorm, which
    transformers keeps inside the Q-Former) and the layers, queries taking the query FFN."""

    def __init__(self, hf):
        self.hf = hf

    def __call__(self, input_ids=None, query_embeds=None, attention_mask=None,
                 encoder_hidden_states=None, encoder_attention_mask=None,
                 return_dict=True):  # fmt: skip
        embeds = self.hf.embeddings(input_ids=input_ids, query_embeds=query_embeds)
        out = self.hf.qformer(
            query_embeds=embeds,
            query_length=0 if query_embeds is None else query_embeds.shape[1],
            attention_mask=attention_mask,
            encoder_hidden_states=encoder_hidden_states,
            encoder_attention_mask=encoder_attention_mask,
        )
        return types.SimpleNamespace(last_hidden_state=out[0])


class _Blip2ITMStandIn(torch.nn.Module):
    """The members of LAVIS 1.0.2's `Blip2Qformer` that mteb's wrapper calls."""

    def __init__(self, checkpoint: Path, model_type: str):
        super().__init__()
        from transformers import BertTokenizer, Blip2ForImageTextRetrieval

        self.hf = Blip2ForImageTextRetrieval.from_pretrained(checkpoint).eval()
        if model_type == "pretrain":  # blip2_pretrain.yaml: vit_precision fp16
            for layer in self.hf.vision_model.modules():
                if isinstance(layer, torch.nn.Conv1d | torch.nn.Conv2d | torch.nn.Linear):
                    layer.weight.data = layer.weight.data.half()
                    if layer.bias is not None:
                        layer.bias.data = layer.bias.data.half()
        self.tokenizer = BertTokenizer.from_pretrained(checkpoint)
        self.tokenizer.add_special_tokens({"bos_token": "[DEC]"})
        self.max_txt_len = 32
        self.query_tokens = self.hf.query_tokens
        self.Qformer = types.SimpleNamespace(bert=_Bert(self.hf))

    @property
    def device(self):
        return self.query_tokens.device

    def visual(self, image):  # ln_vision(visual_encoder(image)): post_layernorm in transformers
        return self.hf.vision_model(pixel_values=image)[0]

    def forward_image(self, image):
        image_embeds = self.visual(image)
        image_atts = torch.ones(image_embeds.size()[:-1], dtype=torch.long).to(image.device)
        query_tokens = self.query_tokens.expand(image_embeds.shape[0], -1, -1)
        query_output = self.Qformer.bert(query_embeds=query_tokens,
                                         encoder_hidden_states=image_embeds,
                                         encoder_attention_mask=image_atts)  # fmt: skip
        return query_output.last_hidden_state, image_embeds

    def forward_text(self, text_tokens):
        text_output = self.Qformer.bert(text_tokens.input_ids,
                                        attention_mask=text_tokens.attention_mask)  # fmt: skip
        return text_output.last_hidden_state[:, 0, :]

    def extract_features(self, samples, mode="multimodal"):
        image, caption = samples.get("image"), samples.get("text_input")
        assert mode == "multimodal"
        image_embeds_frozen = self.visual(image).float()  # maybe_autocast: a no-op on CPU
        image_atts = torch.ones(image_embeds_frozen.size()[:-1], dtype=torch.long)
        query_tokens = self.query_tokens.expand(image_embeds_frozen.shape[0], -1, -1)
        query_atts = torch.ones(query_tokens.size()[:-1], dtype=torch.long)
        text = self.tokenizer(caption, return_tensors="pt", padding=True)
        attention_mask = torch.cat([query_atts, text.attention_mask], dim=1)
        output = self.Qformer.bert(text.input_ids, query_embeds=query_tokens,
                                   attention_mask=attention_mask,
                                   encoder_hidden_states=image_embeds_frozen,
                                   encoder_attention_mask=image_atts)  # fmt: skip
        return types.SimpleNamespace(
            multimodal_embeds=output.last_hidden_state[:, : query_tokens.size(1), :]
        )


def _install_lavis_stand_in(checkpoint: Path) -> None:
    class Blip2ITM:
        @classmethod
        def from_pretrained(cls, model_type, revision=None):  # mteb passes revision=
            return _Blip2ITMStandIn(checkpoint, model_type)

    names = ["lavis", "lavis.models", "lavis.models.blip2_models",
             "lavis.models.blip2_models.blip2_image_text_matching"]  # fmt: skip
    for name in names:
        sys.modules[name] = types.ModuleType(name)
    sys.modules[names[-1]].Blip2ITM = Blip2ITM


def embed(checkpoint: Path) -> dict[str, np.ndarray]:
    from mteb.models.model_implementations.blip2_models import blip2_loader

    _install_lavis_stand_in(Path(checkpoint))
    with hub_repo(Path(checkpoint), PUBLISHED_ID):
        wrapper = blip2_loader(PUBLISHED_ID, revision=MAIN, device="cpu")
        _mteb_calls.use_pil_image_processor(wrapper.processor, checkpoint)
    return _mteb_calls.clip_like(wrapper, _mteb_calls.rgb_images())
