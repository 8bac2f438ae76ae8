"""sentence-transformers 6 configuration files, written by hand (building needs no
sentence-transformers): `modules.json`, the root `Transformer`'s `sentence_bert_config.json`,
`1_Pooling/config.json`, `2_Normalize/`, `config_sentence_transformers.json`."""

from __future__ import annotations

import json
from pathlib import Path

TRANSFORMER = "sentence_transformers.base.modules.transformer.Transformer"
POOLING = "sentence_transformers.sentence_transformer.modules.pooling.Pooling"
NORMALIZE = "sentence_transformers.base.modules.normalize.Normalize"


def _dump(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


def write_st_config(out: Path, prompts: dict[str, str]) -> None:
    _dump(out / "config_sentence_transformers.json", {
        "__version__": {"sentence_transformers": "6.3.0", "transformers": "5.24.0"},
        "default_prompt_name": None, "model_type": "SentenceTransformer", "prompts": prompts,
        "similarity_fn_name": "cosine",
    })  # fmt: skip


def write_mllm_last_token(out: Path, embedding_dim: int, prompts: dict[str, str]) -> None:
    """Transformer at the root (every modality through `forward`, chat messages in structured
    form) -> last-token pooling -> L2 normalisation, as ST 6.3 saves such a model."""
    forward = {"method": "forward", "method_output_name": "last_hidden_state"}
    modality = {m: dict(forward) for m in ("text", "image", "audio", "video")}
    modality["message"] = {**forward, "format": "structured"}
    _dump(out / "sentence_bert_config.json", {
        "transformer_task": "feature-extraction", "modality_config": modality,
        "module_output_name": "token_embeddings",
    })  # fmt: skip
    (out / "1_Pooling").mkdir()
    _dump(
        out / "1_Pooling" / "config.json",
        {"embedding_dimension": embedding_dim, "pooling_mode": "lasttoken", "include_prompt": True},
    )
    (out / "2_Normalize").mkdir()
    _dump(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": TRANSFORMER},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": POOLING},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": NORMALIZE},
    ])  # fmt: skip
    write_st_config(out, prompts)
