"""The MLLM recipes' instruction per task and side (issue 14 item 1): the shipped table is the
one generated from the facts computed with mteb 2.26's own code, and the rules around it (GME's
document default, VLM2Vec-V2's own table, Qwen3-VL-Embedding's period) hold for tasks outside
it too."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

from pytest_mieb.models.mllm import instructions

ROOT = Path(__file__).resolve().parents[2]
FACTS = ROOT / "benchmarks/mteb_reference/mllm_instruction_facts.json"


def ctx(task: str, task_type: str = "", side: str | None = None, prompt: str | None = None):
    return SimpleNamespace(task=task, task_type=task_type, side=side, prompt=prompt)


def test_the_shipped_table_is_generated_from_the_facts():
    spec = importlib.util.spec_from_file_location("gen", ROOT / "tools/gen_mllm_instructions.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    facts = json.loads(FACTS.read_text(encoding="utf-8"))
    assert instructions.table() == gen.table(facts)
    assert len(facts) == 130
    for task, entry in facts.items():  # every MIEB task and side mteb encodes
        for side, values in entry["sides"].items():
            context = ctx(task, entry["type"], None if side == "none" else side)
            assert instructions.gme(context) == values["gme_system"], (task, side)
            assert instructions.vlm2vec_v2(context) == values["vlm2vec_v2"], (task, side)
            assert instructions.qwen3_vl_embedding(context) == values["qwen3vl_system"]


def test_known_facts():
    vidore_q = ctx("VidoreArxivQARetrieval", "DocumentUnderstanding", "query")
    assert instructions.gme(vidore_q) == "Find a screenshot that relevant to the user's question."
    assert instructions.vlm2vec_v2(vidore_q) == (
        "Find a document image that matches the given query:"
    )
    zero_shot = ctx("CIFAR10ZeroShot", "ZeroShotClassification")
    assert instructions.gme(zero_shot) == (
        "Classify the given input into one of the candidate labels."
    )
    assert instructions.vlm2vec_v2(zero_shot) == ""
    assert instructions.gme(ctx("CIFAR10", "ImageClassification")) == "Classify user passages."
    document = ctx("Flickr30kT2IRetrieval", "Any2AnyRetrieval", "document")
    assert instructions.gme(document) == "You are a helpful assistant."
    vidore_d = ctx("VidoreDocVQARetrieval", "DocumentUnderstanding", "document")
    assert instructions.qwen3_vl_embedding(vidore_d) == "Represent the user's input."
    # a visual STS aggregate is asked for under the sub-task mteb encodes it with
    sub = ctx("STS17MultilingualVisualSTS", "VisualSTS(multi)")
    assert instructions.gme(sub) == "Retrieve semantically similar text."


def test_tasks_outside_the_table_follow_mtebs_rules():
    own = ctx("MyTask", "Any2AnyRetrieval", "query", prompt="Find the picture")
    assert instructions.gme(own) == "Find the picture"  # no period (mteb's branch is dead)
    assert instructions.qwen3_vl_embedding(own) == "Find the picture."
    assert instructions.qwen3_vl_embedding(ctx("X", "Y")) == "Represent the user's input."
    assert instructions.qwen3_vl_embedding(ctx("X", "", prompt="Is it? ")) == "Is it?"
    assert instructions.gme(ctx("MyTask", "ImageClustering")) == (
        "Identify categories in user passages."
    )
    assert instructions.gme(ctx("MyTask", "Unknown")) == "You are a helpful assistant."
    assert instructions.gme(ctx("MyTask", "Any2AnyRetrieval", "document", "p")) == (
        "You are a helpful assistant."
    )
    assert instructions.vlm2vec_v2(own) == ""
    assert instructions.gme(None) == "You are a helpful assistant."


def test_qwen3_vl_embedding_goes_through_sentence_transformers_with_its_instructions():
    from pytest_mieb.models import parse_model_id
    from pytest_mieb.models.st_recipes import plan_call, recipe_for

    ref = parse_model_id("Qwen/Qwen3-VL-Embedding-2B")
    assert ref.backend == "sentence_transformers" and ref.revision_source == "registered"
    assert ref.revision == "9f2f7e710d6d81056aa5c0a4f04764fec6bb7bda"  # mteb's pinned revision
    recipe = recipe_for(ref.target)
    assert recipe.name == "qwen3_vl_embedding" and recipe.image_pixels == (4096, 1843200)
    document = ctx("Flickr30kT2IRetrieval", "Any2AnyRetrieval", "document")
    call = plan_call(recipe, {"query": "ignored"}, document)  # the model's prompts are not used
    assert (call.function, call.prompt) == ("encode", "Represent the user's input.")
    query = ctx("VidoreDocVQARetrieval", "DocumentUnderstanding", "query")
    assert plan_call(recipe, {}, query).prompt == (
        "Find a screenshot that relevant to the user's question."
    )


def test_pixel_limits_become_the_image_processors_target_size():
    from transformers import Qwen2VLImageProcessor

    from pytest_mieb.models.mllm.pixels import set_pixel_limits

    processor = Qwen2VLImageProcessor(min_pixels=3136, max_pixels=3920)
    set_pixel_limits(processor, 4096, 1843200)
    size = processor.to_dict()["size"]
    assert (size["shortest_edge"], size["longest_edge"]) == (4096, 1843200)
