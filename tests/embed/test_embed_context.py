"""Task context reaching encoders: `EncodeContext` for methods that take it, the side for
methods that take only `prompt_type`, nothing for the others (issue 13 item 1)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from embed_fakes import FakeEncoder, PromptAwareEncoder, random_images

from pytest_mieb.data.containers import Inputs
from pytest_mieb.embed.embedder import Embedder
from pytest_mieb.embed.task_embedder import TaskEmbedder, bind_task
from pytest_mieb.models.context import EncodeContext, suite_prompt
from pytest_mieb.tasks.index import load_all_specs


class ContextEncoder(FakeEncoder):
    """Takes `context`; prepends the chosen instruction to each text (like instruction models)."""

    def __init__(self, fingerprint: str = "fake-context", keyed: bool = False) -> None:
        super().__init__(fingerprint)
        self.contexts: list[EncodeContext | None] = []
        if keyed:
            self.context_key = self.instruction

    @staticmethod
    def instruction(context: EncodeContext | None) -> str:
        if context is None:
            return ""
        return {"Any2AnyRetrieval": "find: "}.get(context.task_type, "")

    def encode_texts(self, texts: Sequence[str], context: EncodeContext | None = None):
        self.contexts.append(context)
        return super().encode_texts([self.instruction(context) + t for t in texts])

    def encode_pixels(self, pixels: torch.Tensor, context: EncodeContext | None = None):
        self.contexts.append(context)
        return super().encode_pixels(pixels)


def specs():
    return load_all_specs()


def test_context_carries_task_side_modality_languages_prompt_subset_split():
    spec = specs()["CIRRIT2IRetrieval"]
    encoder = ContextEncoder()
    bound = Embedder(encoder, num_workers=0).for_task(spec)
    bound.embed(Inputs("q", texts=["a red car"]), side="query")
    bound.embed(Inputs("c", images=random_images(2)), side="document", split="dev")
    query, doc = encoder.contexts
    assert query == EncodeContext(
        task="CIRRIT2IRetrieval",
        task_type="Any2AnyRetrieval",
        category="it2i",
        side="query",
        modality="text",
        languages=("eng-Latn",),
        prompt=spec.prompts["query"],
        subset="default",
        split="test",
    )
    assert query.prompt_type == "query"
    assert (doc.side, doc.modality, doc.prompt, doc.split) == ("document", "image", None, "dev")


def test_multilingual_subset_gives_its_languages():
    spec = specs()["WITT2IRetrieval"]
    encoder = ContextEncoder()
    Embedder(encoder, num_workers=0).for_task(spec).embed(
        Inputs("q", texts=["x"]), side="query", subset="ko"
    )
    assert encoder.contexts[0].languages == ("kor-Hang",)
    assert encoder.contexts[0].subset == "ko"


def test_aggregate_visual_sts_is_described_as_its_subtask():
    spec = specs()["VisualSTS17Eng"]
    sub = spec.params["subtasks"][0]["name"]
    context = TaskEmbedder(Embedder(FakeEncoder(), num_workers=0), spec).context("image")
    assert context.task == sub != spec.name
    assert context.side is None


def test_prompt_type_encoder_gets_the_side_unchanged():
    encoder = PromptAwareEncoder()
    bound = Embedder(encoder, num_workers=0).for_task(specs()["CIRRIT2IRetrieval"])
    bound.embed(Inputs("q", texts=["x"]), side="query")
    bound.embed(Inputs("d", texts=["x"]), side="document")
    bound.embed(Inputs("n", texts=["x"]))
    assert encoder.prompt_types == ["query", "document", None]


def test_plain_encoder_is_encoded_once_across_tasks_and_sides():
    encoder = FakeEncoder()
    embedder = Embedder(encoder, num_workers=0)
    texts = Inputs("shared", texts=["a", "b"])
    first = embedder.for_task(specs()["CIRRIT2IRetrieval"]).embed(texts, side="query")
    second = embedder.for_task(specs()["CIFAR10ZeroShot"]).embed(texts)
    assert encoder.texts_encoded == 2
    np.testing.assert_array_equal(first, second)


def test_context_encoder_caches_per_context_unless_it_keys_itself():
    texts = Inputs("shared", texts=["a"])
    unkeyed = ContextEncoder()
    embedder = Embedder(unkeyed, num_workers=0)
    for name in ("CIFAR10ZeroShot", "Country211ZeroShot"):
        embedder.for_task(specs()[name]).embed(texts)
    assert unkeyed.texts_encoded == 2  # two tasks: two contexts, two encodes

    keyed = ContextEncoder("fake-keyed", keyed=True)
    embedder = Embedder(keyed, num_workers=0)
    out = [embedder.for_task(specs()[n]).embed(texts) for n in ("CIFAR10ZeroShot", "DTDZeroShot")]
    retrieval = embedder.for_task(specs()["CIRRIT2IRetrieval"]).embed(texts, side="query")
    assert keyed.texts_encoded == 2  # same instruction for both zero-shot tasks: one encode
    np.testing.assert_array_equal(out[0], out[1])
    assert not np.array_equal(out[0], retrieval)  # the instruction changed the embedding


def test_unbound_embedder_gives_context_none():
    encoder = ContextEncoder()
    Embedder(encoder, num_workers=0).embed(Inputs("t", texts=["x"]), prompt_type="query")
    assert encoder.contexts == [None]


def test_bind_task_wraps_a_prompt_type_embedder():
    calls = []

    class Legacy:
        similarity = "cosine"

        def embed(self, inputs, *, prompt_type=None):
            calls.append(prompt_type)
            return np.zeros((len(inputs), 2), np.float32)

    bound = bind_task(Legacy(), specs()["CIRRIT2IRetrieval"])
    bound.embed(Inputs("q", texts=["x"]), side="query", subset="default")
    assert calls == ["query"]


def test_suite_prompt_precedence_is_mtebs():
    prompts = {
        "query": "q",
        "Any2AnyRetrieval": "type",
        "Any2AnyRetrieval-query": "type-q",
        "T": "task",
        "T-query": "task-q",
    }
    assert suite_prompt(prompts, "T", "Any2AnyRetrieval", "query") == "task-q"
    assert suite_prompt(prompts, "T", "Any2AnyRetrieval", "document") == "task"
    assert suite_prompt(prompts, "U", "Any2AnyRetrieval", "document") == "type"
    assert suite_prompt({"query": "q"}, "U", "X", "query") == "q"
    assert suite_prompt({"query": "q"}, "U", "X", None) is None
