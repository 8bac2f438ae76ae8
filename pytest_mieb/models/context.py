"""What an encoder may know about the call it serves: `EncodeContext`.

mteb hands every ``encode`` the task's metadata, the split, the subset and a prompt type; the
models that lead MIEB choose an instruction or an adapter from them. pytest-mieb builds one
`EncodeContext` per embedding request and gives it to encoder methods that take a ``context``
keyword (see `pytest_mieb.embed.embedder`); methods that take only ``prompt_type`` get the
side, as before, and methods that take neither get neither.

``side`` is "query" or "document" exactly where mteb passes a prompt type: on the two sides
of the retrieval-type tasks (Any2AnyRetrieval, Any2AnyMultilingualRetrieval,
DocumentUnderstanding, VisionCentricQA); it is None for every other call (classification,
clustering, zero-shot labels and images, visual STS, compositionality), as in mteb.

Pure data: importing this module imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Side = Literal["query", "document"]
Modality = Literal["image", "text", "image+text"]


@dataclass(frozen=True)
class EncodeContext:
    """The task, side and data one embedding request belongs to.

    `task` is the task mteb would name: for the visual STS aggregates, their sub-task (mteb
    recurses into it). `category` is mteb's ("i2t", "it2i", ...; "" when the suite gives
    none). `modality` is what the inputs of this request hold. `languages` are those of the
    hf subset being encoded (all the task's when the subset has none listed). `prompt` is the
    suite's prompt for this task and side (`TaskSpec.prompts`, chosen by `suite_prompt`), or
    None. `split` is the hf split being encoded: "train" for the training rows of a linear
    probe, the evaluation split otherwise.
    """

    task: str
    task_type: str
    category: str
    side: Side | None
    modality: Modality
    languages: tuple[str, ...] = ()
    prompt: str | None = None
    subset: str = "default"
    split: str = "test"

    @property
    def prompt_type(self) -> Side | None:
        """The side under mteb's name for it."""
        return self.side

    def cache_parts(self) -> tuple[str | None, ...]:
        """What of the context may change an encoder's output, for encoders that do not say
        (see `pytest_mieb.embed.embedder`: an encoder's ``context_key`` overrides this)."""
        return (self.task, self.side, self.subset, self.split, self.prompt)


def suite_prompt(
    prompts: Mapping[str, str], task: str, task_type: str, side: Side | None
) -> str | None:
    """The suite prompt for a call, by mteb's precedence of prompt keys (first found wins):
    ``"{task}-{side}"``, ``task``, ``"{type}-{side}"``, ``type``, ``side``; None otherwise.

    MIEB's suites key their prompts by side (``query = "..."``); a user's suite may key them
    by task name or task type as well.
    """
    keys = [f"{task}-{side}" if side else None, task]
    keys += [f"{task_type}-{side}" if side else None, task_type, side]
    for key in keys:
        if key and key in prompts:
            return prompts[key]
    return None
