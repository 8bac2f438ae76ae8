"""Tiny e5-omni-style sentence-transformers model over a Qwen2.5-Omni thinker
(standing for Haon-Chen/e5-omni-3B / -7B).

The root holds the thinker (`_qwen_omni`: config, weights, processor, chat template) and
sentence-transformers 6 files: `Transformer` (all modalities through the chat "message" form),
last-token pooling, L2 normalisation, prompts for `query` and `document`. The real repos could
not be read offline (their ST configuration and whatever `trust_remote_code` loads are unknown);
this layout is what ST 6.3 itself saves for a Qwen2.5-Omni thinker embedder, and the prompts are
invented. It lets the route mteb 2.26 takes for e5-omni (`E5OmniWrapper`) run end to end.
"""

from __future__ import annotations

from pathlib import Path

from tinymodels._qwen_omni import TEXT_WIDTH, write_thinker
from tinymodels._st_files import write_mllm_last_token
from tinymodels._write_once import write_once

PROMPTS = {
    "query": "Represent the query for retrieving relevant documents.",
    "document": "Represent the document for retrieval.",
}


def build(root: Path, seed: int = 0) -> Path:
    def write(out: Path) -> None:
        write_thinker(out, seed)
        write_mllm_last_token(out, TEXT_WIDTH, PROMPTS)

    return write_once(root, "e5_omni", write)
