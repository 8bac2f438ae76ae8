"""Which inputs a task needs a model to take, and so whether a model can run it at all.

Models take some of three input kinds: "image", "text" and "image+text" (an image and a text
embedded together, e.g. an it2i query). A task needs:

* retrieval-type protocols (retrieval, multiple choice): the input kind of each side, from
  ``query_modalities`` / ``corpus_modalities`` (both image and text: "image+text");
* zero-shot classification and image-text pair matching: "image" and "text";
* linear / multi-label probes, clustering and visual STS: "image".

A task runs for a model iff everything it needs is among what the model takes. For an
image-only model this is mteb 2.26's rule for the tasks it runs cleanly (`mteb.evaluate`
checks each retrieval side against the model's modalities, every other task's modalities as
a whole): the 22 linear probes, 5 clusterings, 9 visual STS tasks and 15 i2i retrievals of
MIEB (51 of its 130 tasks; 17 of MIEB(lite)). The 6 it2i / it2it tasks that mteb lets through
with a "partial overlap" warning, and whose queries mteb's own image-only wrappers then refuse,
are not applicable here.

Pure data work: no heavy imports, usable at collection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_mieb.tasks.spec import TaskSpec

#: The input kinds, in the order they are named in messages.
INPUT_KINDS = ("image", "text", "image+text")
#: Protocols whose two sides are described by query_modalities / corpus_modalities.
SIDED_PROTOCOLS = ("retrieval", "multiple_choice")
#: Protocols that embed both images and texts, each on its own.
IMAGE_AND_TEXT_PROTOCOLS = ("zero_shot", "image_text_pair_matching")

#: Protocols that embed images only.
PROTOCOL_KINDS: Mapping[str, frozenset[str]] = {
    name: frozenset({"image"})
    for name in (
        "linear_probe",
        "multilabel_probe",
        "kmeans_clustering",
        "visual_sts",
        "aggregate_of_visual_sts",
    )
}


def input_kind(modalities: Iterable[str]) -> str:
    """The input kind ("image", "text" or "image+text") of one side's modalities."""
    mods = set(modalities)
    if mods == {"image", "text"}:
        return "image+text"
    if len(mods) == 1 and mods <= {"image", "text"}:
        return next(iter(mods))
    raise ValueError(f"a side holds image, text or both, not {sorted(mods)}")


def required_inputs(spec: TaskSpec) -> frozenset[str]:
    """The input kinds `spec` needs a model to take."""
    if spec.protocol in SIDED_PROTOCOLS:
        params = spec.params
        sides = (params.get("query_modalities"), params.get("corpus_modalities"))
        if all(sides):
            return frozenset(input_kind(side) for side in sides)  # type: ignore[arg-type]
    elif spec.protocol in IMAGE_AND_TEXT_PROTOCOLS:
        return frozenset({"image", "text"})
    elif spec.protocol in PROTOCOL_KINDS:
        return PROTOCOL_KINDS[spec.protocol]
    return frozenset(spec.modalities or INPUT_KINDS[:2])


def missing_inputs(spec: TaskSpec, takes: Iterable[str]) -> tuple[str, ...]:
    """What `spec` needs that a model taking `takes` does not take (empty: it runs)."""
    have = set(takes)
    return tuple(kind for kind in INPUT_KINDS if kind in required_inputs(spec) - have)


def describe(kinds: Iterable[str]) -> str:
    """The kinds as messages name them: "image only", "image, text", ..."""
    ordered = [k for k in INPUT_KINDS if k in set(kinds)]
    if len(ordered) == 1:
        return f"{ordered[0]} only"
    return ", ".join(ordered) or "nothing"


#: Protocols a late-interaction (MaxSim) model is scored on. mteb 2.26 cannot run its
#: ColPali-family wrappers on the others: linear probes, clustering and visual STS get 3-D
#: token tensors (sklearn refuses them), zero-shot and image-text matching fail in the
#: wrapper's similarity (checked on tiny checkpoints with mteb's own mock tasks).
MAXSIM_PROTOCOLS = ("retrieval", "multiple_choice")


def maxsim_reason(model: str, spec: TaskSpec) -> str | None:
    """Why a late-interaction model does not run `spec`, or None when it does."""
    if spec.protocol in MAXSIM_PROTOCOLS:
        return None
    return (
        f"n/a: {model} is a late-interaction (MaxSim) model, which mteb 2.26 cannot evaluate "
        f"on {spec.protocol} tasks ({spec.name})"
    )


def not_applicable_reason(
    model: str, spec: TaskSpec, takes: Iterable[str], similarity: str | None = None
) -> str | None:
    """The "n/a: ..." line for a task the model cannot take, or None when it can
    (`similarity` "maxsim": a late-interaction model, see `maxsim_reason`)."""
    missing = missing_inputs(spec, takes)
    if not missing:
        return maxsim_reason(model, spec) if similarity == "maxsim" else None
    return f"n/a: {model} takes {describe(takes)}; {spec.name} needs {', '.join(missing)} inputs"


def not_applicable_tasks(
    takes_by_model: Mapping[str, Iterable[str]], tasks: Iterable[str]
) -> dict[str, set[str]]:
    """model -> the tasks among `tasks` (names of packaged or user-suite tasks) it cannot take.

    Tasks the index does not know are never n/a. Loads the task index (cheap, cached).
    """
    from pytest_mieb.tasks.index import load_all_specs

    specs = load_all_specs()
    names = [t for t in tasks if t in specs]
    out: dict[str, set[str]] = {}
    for model, takes in takes_by_model.items():
        kinds = set(takes)
        out[model] = {t for t in names if missing_inputs(specs[t], kinds)}
    return out
