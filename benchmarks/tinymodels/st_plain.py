"""Tiny plain sentence-transformers image+text model, in the layout sentence-transformers 6 saves.

One module at the repo root (`modules.json`: `sentence_transformers.base.modules.transformer.
Transformer`, path ""), whose `sentence_bert_config.json` maps the `text` modality to
`CLIPModel.get_text_features` and `image` to `get_image_features` (`pooler_output`), output
`sentence_embedding`: no pooling module, no normalisation. The root holds the tiny `clip`
checkpoint's transformers files. mteb 2.26 reads the model's modalities from that
`modality_config` (a repo without one, e.g. the older `0_CLIPModel` layout of
sentence-transformers/clip-ViT-B-32, counts as text-only there). `config_sentence_transformers.json`
carries prompts so that prompt choice per task and side is exercised: one key of each kind
mteb's `get_prompt_name` looks at (side, task type + side, task type, task name + side).
Written by hand (no sentence-transformers needed to build).
"""

from __future__ import annotations

import json
from pathlib import Path

from tinymodels import clip
from tinymodels._write_once import seeded, write_once

PROMPTS = {
    "query": "query: ",
    "document": "passage: ",
    "Any2AnyRetrieval-query": "find a picture of: ",
    "ZeroShotClassification": "a photo of ",
    "VidoreDocVQARetrieval-query": "question: ",
}
TRANSFORMER = "sentence_transformers.base.modules.transformer.Transformer"


def build(root: Path, seed: int = 0) -> Path:
    def write(out: Path) -> None:
        from transformers import CLIPModel

        vocab_size = clip.write_clip_tokenizer(out)
        clip.write_clip_preprocessor(out)
        seeded(seed)
        CLIPModel(clip.tiny_clip_config(vocab_size)).eval().save_pretrained(out)
        modules = [{"idx": 0, "name": "0", "path": "", "type": TRANSFORMER}]
        features = {"method_output_name": "pooler_output"}
        sbert = {
            "transformer_task": "feature-extraction",
            "modality_config": {
                "text": {"method": "get_text_features", **features},
                "image": {"method": "get_image_features", **features},
            },
            "module_output_name": "sentence_embedding",
        }
        st_config = {
            "__version__": {"sentence_transformers": "6.3.0", "transformers": "5.24.0"},
            "default_prompt_name": None,
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "similarity_fn_name": "cosine",
        }
        for name, data in [("modules.json", modules), ("sentence_bert_config.json", sbert),
                           ("config_sentence_transformers.json", st_config)]:  # fmt: skip
            (out / name).write_text(json.dumps(data, indent=2), "utf-8")

    return write_once(root, "st_plain", write)
