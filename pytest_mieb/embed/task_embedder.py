"""An embedder bound to one task: evaluators say the side, subset and split; this says the rest.

The spine (`pytest_mieb.run.evaluate_task`) binds the task once (`bind_task`); evaluators then
call ``embed(inputs, side=..., subset=..., split=...)`` and never build contexts themselves.
The bound view builds the `EncodeContext` of each request (task, type, category, side,
modality of the inputs, languages of the subset, the suite's prompt for that side) and hands
it to the embedder, which passes it on to encoders that take it.

An aggregate visual STS task is described to the encoder as its sub-task, as mteb does.
No torch import here: the view is pure bookkeeping.
"""

from __future__ import annotations

import inspect
from typing import Any

from pytest_mieb.models.context import EncodeContext, Side, suite_prompt
from pytest_mieb.tasks.spec import TaskSpec

AGGREGATE = "aggregate_of_visual_sts"


def accepts_keyword(method: Any, name: str) -> bool:
    """Whether `method` takes the keyword `name` (False for what has no signature)."""
    try:
        return name in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


class TaskEmbedder:
    """`embedder` serving the items of `spec` (see the module docstring).

    `embedder` is a `pytest_mieb.embed.embedder.Embedder`, or any object whose ``embed``
    takes ``context=`` or only ``prompt_type=`` (the side is then passed as the prompt type).
    """

    def __init__(self, embedder: Any, spec: TaskSpec) -> None:
        self.embedder = embedder
        self.spec = spec
        self._takes_context = accepts_keyword(embedder.embed, "context")
        subtasks = spec.params.get("subtasks") if spec.protocol == AGGREGATE else None
        self._task_name = str(subtasks[0].get("name") or spec.name) if subtasks else spec.name

    @property
    def similarity(self) -> Any:
        return self.embedder.similarity

    @property
    def device(self) -> Any:
        return getattr(self.embedder, "device", "cpu")

    def context(
        self, kind: str, side: Side | None = None, subset: str = "default", split: str | None = None
    ) -> EncodeContext:
        """The context of one request for inputs of `kind` ("image", "text", "image+text")."""
        spec = self.spec
        languages = tuple(spec.languages.get(subset, ())) or spec.all_languages
        return EncodeContext(
            task=self._task_name,
            task_type=spec.type,
            category=spec.category,
            side=side,
            modality=kind,  # type: ignore[arg-type]
            languages=languages,
            prompt=suite_prompt(spec.prompts, self._task_name, spec.type, side),
            subset=subset,
            split=split or spec.eval_split,
        )

    def embed(
        self,
        inputs: Any,
        *,
        side: Side | None = None,
        subset: str = "default",
        split: str | None = None,
    ) -> Any:
        """Embeddings of `inputs`, requested on `side` of `subset` / `split` of the task."""
        if not self._takes_context:
            return self.embedder.embed(inputs, prompt_type=side)
        return self.embedder.embed(inputs, context=self.context(inputs.kind, side, subset, split))


def bind_task(embedder: Any, spec: TaskSpec) -> Any:
    """`embedder` bound to `spec`: its own ``for_task(spec)`` where it has one, else a
    `TaskEmbedder` around it (an embedder already bound is returned as it is)."""
    if isinstance(embedder, TaskEmbedder) or accepts_keyword(embedder.embed, "side"):
        return embedder
    for_task = getattr(embedder, "for_task", None)
    return for_task(spec) if for_task is not None else TaskEmbedder(embedder, spec)
