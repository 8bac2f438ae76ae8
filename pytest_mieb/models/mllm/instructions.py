"""The instruction an MLLM embedder is given for a task and side, as mteb 2.26 chooses it.

Per-task values are data (`instructions.json`, written by ``tools/gen_mllm_instructions.py``
from mteb's own choices for every MIEB task and side; see that tool). A task outside MIEB (a
user's suite) falls back to what mteb's `get_instruction` would give it: the suite's prompt
for the side, else the default of its task type's abstract task.

Sides: "query" / "document" on the retrieval-type tasks, "none" everywhere else (mteb passes
no prompt type there). Pure functions; importing this module reads no file.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("instructions.json")
#: GME's system prompt for documents and for an empty instruction.
GME_DEFAULT = "You are a helpful assistant."
#: Qwen3-VL-Embedding's instruction when mteb's is empty.
QWEN3_VL_DEFAULT = "Represent the user's input."
#: mteb's abstract-task default prompt per MIEB task type (`abstask_prompt`).
TYPE_DEFAULTS = {
    "ImageClassification": "Classify user passages.",
    "ImageMultilabelClassification": "Classify user passages.",
    "ImageClustering": "Identify categories in user passages.",
    "ZeroShotClassification": "Classify the given input into one of the candidate labels.",
    "Compositionality": "Identify the caption that matches the given image.",
    "VisualSTS(eng)": "Retrieve semantically similar text.",
    "VisualSTS(multi)": "Retrieve semantically similar text.",
    "Any2AnyRetrieval": "Retrieve text based on user query.",
    "Any2AnyMultilingualRetrieval": "Retrieve text based on user query.",
    "DocumentUnderstanding": "Retrieve text based on user query.",
    "VisionCentricQA": "Retrieve text based on user query.",
}


@functools.cache
def table() -> dict[str, dict[str, dict[str, str]]]:
    """family -> task -> side -> instruction (the shipped data file)."""
    return json.loads(TABLE.read_text(encoding="utf-8"))


def _side(context: Any) -> str:
    side = getattr(context, "side", None)
    return side if side in ("query", "document") else "none"


def _listed(family: str, context: Any) -> str | None:
    """The table's value for the context's task and side, None when the task is not listed."""
    task = getattr(context, "task", "") or ""
    return table()[family].get(task, {}).get(_side(context))


def mteb_instruction(context: Any) -> str:
    """What mteb's `get_instruction` gives a task outside the table: the suite's prompt for
    the side, else the task type's abstract-task default, else empty."""
    prompt = getattr(context, "prompt", None)
    if isinstance(prompt, str) and prompt:
        return prompt
    return TYPE_DEFAULTS.get(getattr(context, "task_type", "") or "", "")


def gme(context: Any) -> str:
    """GME's system prompt: the default on documents, else mteb's instruction (or the
    default when that is empty). No period is appended (mteb's branch for it is dead)."""
    if context is None or _side(context) == "document":
        return GME_DEFAULT
    listed = _listed("gme", context)
    return (listed if listed is not None else mteb_instruction(context)) or GME_DEFAULT


def vlm2vec_v2(context: Any) -> str:
    """VLM2Vec-V2's instruction: only its own table's (Vidore / VisRAG tasks), else none."""
    if context is None:
        return ""
    listed = _listed("vlm2vec_v2", context)
    return listed if listed is not None else ""


def qwen3_vl_embedding(context: Any) -> str:
    """Qwen3-VL-Embedding's instruction (documents too): mteb's, else the default; stripped,
    with a period appended unless it ends in punctuation."""
    listed = _listed("qwen3_vl_embedding", context) if context is not None else None
    if listed is not None:
        return listed
    text = (mteb_instruction(context) if context is not None else "") or QWEN3_VL_DEFAULT
    text = text.strip()
    if text and not unicodedata.category(text[-1]).startswith("P"):
        text += "."
    return text


BY_FAMILY = {"gme": gme, "vlm2vec_v2": vlm2vec_v2, "qwen3_vl_embedding": qwen3_vl_embedding}
