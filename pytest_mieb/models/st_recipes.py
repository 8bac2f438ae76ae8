"""How a sentence-transformers model is called per task and side: the recipes, as data.

Pure functions over the request's context (the attributes of `EncodeContext`: task,
task_type, side); no heavy imports. `sentence_transformers_encoder` applies them.

* ``st`` (any sentence-transformers repo; mteb 2.26's sentence-transformers wrapper): the
  model's own ``prompts`` (config_sentence_transformers.json), the first key present of
  ``{task}-{side}``, ``{task}``, ``{type}-{side}``, ``{type}``, ``{side}`` (the side only on
  retrieval sides), passed as ``prompt=``; queries through ``encode_query``, documents
  ``encode_document``, everything else ``encode``; texts alone as strings, anything with an
  image as one dict per sample (``{"image": ..., "text": ...}``).
* ``e5_omni`` (Haon-Chen/e5-omni-*): ``st``, plus text truncated at 512 tokens for text-only
  calls and not at all for calls holding an image.
* ``omniembed`` (Tevatron/OmniEmbed-*): ``e5_omni``, plus ``max_seq_length`` 512 for
  text-only calls and 32768 otherwise; bf16 weights; the LoRA adapter on its base pinned at
  8876e9bc... (Tevatron/Qwen2.5-Omni-7B-Thinker).
* ``bidirlm_omni`` (BidirLM/BidirLM-Omni-*): an instruction per task (`BIDIRLM_INSTRUCTIONS`;
  none on retrieval documents), plain ``encode`` on every side, every row a dict with the keys
  in the order image, text; ``max_seq_length`` 1024 for text-only calls, 32768 otherwise.
* ``jina_v5_omni`` (jinaai/jina-embeddings-v5-omni-*, remote code): a task adapter per task
  type (`JINA_TASKS`, else "retrieval"), prompt "Query: " on query sides and "Document: "
  everywhere else, plain ``encode(..., task=...)``; one modality passed bare, several as a
  tuple in the order text, image. (The published scores were computed with the "retrieval"
  adapter on every MIEB task, mteb 2.13.)
* ``qwen3_vl_embedding`` (Qwen/Qwen3-VL-Embedding-*; mteb's `InstructSentenceTransformerModel`):
  the instruction per task and side of `pytest_mieb.models.mllm.instructions` (documents
  too), plain ``encode`` on every side, image processor pixels 4 * 32 * 32 .. 1800 * 32 * 32.

MIEB has no audio or video, so the video / audio processing settings of the omni wrappers
are not reproduced beyond e5-omni's processing keywords. Where the published scores came from
older mteb versions: e5-omni and OmniEmbed (mteb 2.12) had no 512-token text truncation; the
recipes here are mteb 2.26's, as the parity check compares them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: mteb's task types whose calls have a query and a document side.
RETRIEVAL_TYPES = (
    "Any2AnyRetrieval",
    "Any2AnyMultilingualRetrieval",
    "DocumentUnderstanding",
    "VisionCentricQA",
)
TEXT_ONLY_TRUNCATION = {"truncation": True, "max_length": 512}
LONG_SEQUENCE = 32768

#: BidirLM-Omni's instruction per MIEB task (mteb 2.26's table, the MIEB entries).
BIDIRLM_INSTRUCTIONS: dict[str, str] = {
    "AROCocoOrder": "Compositionality Evaluation of images to their captions.Each capation has "
    "four hard negatives created by order permutations.",
    "AROFlickrOrder": "Compositionality Evaluation of images to their captions.Each capation "
    "has four hard negatives created by order permutations.",
    "BLINKIT2IMultiChoice": "Retrieve images based on images and specific retrieval instructions.",
    "Country211ZeroShot": "Classifying images of 211 countries.",
    "CVBenchRelation": "decide the relation of the objects in the image.",
    "FER2013ZeroShot": "Classifying facial emotions.",
    "VidoreDocVQARetrieval": "Retrieve associated pages according to questions.",
    "VidoreShiftProjectRetrieval": "Retrieve associated pages according to questions.",
    "VidoreSyntheticDocQAAIRetrieval": "Retrieve associated pages according to questions.",
    "VidoreTabfquadRetrieval": "Retrieve associated pages according to questions.",
    "VidoreTatdqaRetrieval": "Retrieve associated pages according to questions.",
    "VQA2IT2TRetrieval": "Retrieve the correct answer for a question about an image.",
    "WebQAT2ITRetrieval": "Retrieve sources of information based on questions.",
    "WITT2IRetrieval": "Retrieve images based on multilingual descriptions.",
    "XM3600T2IRetrieval": "Retrieve images based on multilingual descriptions.",
}
#: BidirLM-Omni's instruction for text task types without a task entry.
BIDIRLM_TYPE_INSTRUCTIONS = {
    "STS": "Retrieve semantically similar text",
    "PairClassification": "Retrieve semantically similar text",
    "BitextMining": "Retrieve parallel sentences",
}
#: jina-embeddings-v5-omni's task adapter per MIEB task type (mteb 2.26); else "retrieval".
JINA_TASKS = {
    "ImageClassification": "retrieval",
    "ZeroShotClassification": "retrieval",
    "ImageClustering": "text-matching",
    "Compositionality": "clustering",
    "VisualSTS(eng)": "text-matching",
    "VisualSTS(multi)": "text-matching",
}


@dataclass(frozen=True)
class Recipe:
    """One family's way of calling sentence-transformers (see the module docstring)."""

    name: str
    prompts: str = "model"  # "model" (the ST prompts), "bidirlm", "jina"
    side_functions: bool = True  # encode_query / encode_document by side
    rows: str = "dicts"  # "dicts" (dataset order image, text), "all_dicts", "jina"
    text_only_truncation: bool = False
    max_seq_length: tuple[int, int] | None = None  # (text-only, otherwise)
    dtype: str | None = None  # weights dtype the recipe runs in (None: the checkpoint's)
    base_revision: str | None = None  # pinned base of an adapter-only repo
    image_pixels: tuple[int, int] | None = None  # the image processor's min / max pixels


RECIPES: dict[str, Recipe] = {
    "st": Recipe("st"),
    "e5_omni": Recipe("e5_omni", text_only_truncation=True),
    "omniembed": Recipe(
        "omniembed",
        text_only_truncation=True,
        max_seq_length=(512, LONG_SEQUENCE),
        dtype="bfloat16",
        base_revision="8876e9bc7e6af2ecbdfb14e0416e2c1105f0f7bb",
    ),
    "bidirlm_omni": Recipe(
        "bidirlm_omni",
        prompts="bidirlm",
        side_functions=False,
        rows="all_dicts",
        max_seq_length=(1024, LONG_SEQUENCE),
    ),
    "jina_v5_omni": Recipe("jina_v5_omni", prompts="jina", side_functions=False, rows="jina"),
    "qwen3_vl_embedding": Recipe(
        "qwen3_vl_embedding",
        prompts="qwen3_vl",
        side_functions=False,
        image_pixels=(4 * 32 * 32, 1800 * 32 * 32),
    ),
}
#: Hub id prefixes (lower case) of the published models with their own recipe.
RECIPE_BY_PREFIX = {
    "haon-chen/e5-omni-": "e5_omni",
    "tevatron/omniembed-": "omniembed",
    "bidirlm/bidirlm-omni-": "bidirlm_omni",
    "jinaai/jina-embeddings-v5-omni-": "jina_v5_omni",
    "qwen/qwen3-vl-embedding-": "qwen3_vl_embedding",
}


def recipe_for(model_id: str) -> Recipe:
    """The recipe of a hub id (the generic ``st`` one for any other id or a directory)."""
    lowered = model_id.lower()
    for prefix, name in RECIPE_BY_PREFIX.items():
        if lowered.startswith(prefix):
            return RECIPES[name]
    return RECIPES["st"]


def prompt_key(
    prompts: Mapping[str, Any], task: str, task_type: str, side: str | None
) -> str | None:
    """The first key of `prompts` present, in mteb's order (see the module docstring)."""
    keys = [f"{task}-{side}" if side else None, task]
    keys += [f"{task_type}-{side}" if side else None, task_type, side]
    return next((key for key in keys if key and key in prompts), None)


@dataclass(frozen=True)
class Call:
    """What one encode request sends: the ST method, its ``prompt=`` and extra keywords."""

    function: str
    prompt: str | None
    extra: tuple[tuple[str, str], ...] = ()


def plan_call(recipe: Recipe, model_prompts: Mapping[str, Any], context: Any) -> Call:
    """The call for a request described by `context` (None: no task known, plain encode)."""
    task = getattr(context, "task", "") or ""
    task_type = getattr(context, "task_type", "") or ""
    side = getattr(context, "side", None)
    function = "encode"
    if recipe.side_functions and side in ("query", "document"):
        function = f"encode_{side}"
    if recipe.prompts == "bidirlm":
        return Call(function, bidirlm_instruction(task, task_type, side))
    if recipe.prompts == "qwen3_vl":
        from pytest_mieb.models.mllm.instructions import qwen3_vl_embedding

        return Call(function, qwen3_vl_embedding(context))
    if recipe.prompts == "jina":
        adapter = JINA_TASKS.get(task_type, "retrieval")
        prompt = "Query: " if side == "query" else "Document: "
        return Call(function, prompt, (("task", adapter),))
    key = prompt_key(model_prompts, task, task_type, side) if context is not None else None
    prompt = model_prompts.get(key) if key else None
    return Call(function, prompt if isinstance(prompt, str) else None)


def bidirlm_instruction(task: str, task_type: str, side: str | None) -> str | None:
    """BidirLM-Omni's instruction: none on retrieval documents, else the task's entry, else
    the task type's."""
    if task_type == "Summarization" or side == "document":
        return None
    return BIDIRLM_INSTRUCTIONS.get(task) or BIDIRLM_TYPE_INSTRUCTIONS.get(task_type)


def rows(recipe: Recipe, images: list[Any] | None, texts: list[str] | None) -> list[Any]:
    """The per-sample inputs of one batch, shaped as the recipe sends them."""
    n = len(images if images is not None else texts or [])
    columns = {"image": images, "text": texts}
    if recipe.rows == "jina":
        order = [c for c in ("text", "image") if columns[c] is not None]
        parts = [[columns[c][k] for c in order] for k in range(n)]  # type: ignore[index]
        return [p[0] if len(p) == 1 else tuple(p) for p in parts]
    if recipe.rows == "dicts" and images is None:
        return list(texts or [])
    present = [c for c in ("image", "text") if columns[c] is not None]
    return [{c: columns[c][k] for c in present} for k in range(n)]  # type: ignore[index]
