"""A zero-shot task's candidate texts: its fixed list, or its template over class names.

The data layer builds them when it reads a task's label column (the texts become the
`ZeroShotData.candidates` the evaluator embeds); tests check the suites' fixed lists with
them. Standard library only, so neither side imports the other.

Task params read (types: `pytest_mieb.tasks.protocols`): ``candidate_labels`` (fixed
list, used verbatim, trailing newlines included), else ``candidate_label_template`` (with a
``{name}`` slot) and ``class_name_transform`` (a transform id, see `NAME_TRANSFORMS`);
``n_candidates_unique`` and ``candidate_texts_total_chars``, the reference's statistics
that built texts are checked against.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

from pytest_mieb.tasks.spec import TaskSpec

NAME_SLOT = "{name}"


def sun397_class_name(name: str) -> str:
    """'/c/church/outdoor' -> 'church outdoor': drop the leading '' and letter parts."""
    return " ".join(name.split("/")[2:]).replace("_", " ")


NAME_TRANSFORMS: dict[str, Callable[[str], str]] = {"sun397": sun397_class_name}


def build_candidate_texts(
    template: str, class_names: Sequence[str], transform: str | None = None
) -> list[str]:
    """One prompt per class, in class-id order: `template` with ``{name}`` filled in.

    Names are inserted verbatim (no stripping), after the optional named `transform`.
    """
    if NAME_SLOT not in template:
        raise ValueError(f"candidate template {template!r} has no {NAME_SLOT} slot")
    if transform is None:
        rename: Callable[[str], str] = str
    else:
        try:
            rename = NAME_TRANSFORMS[transform]
        except KeyError:
            known = ", ".join(sorted(NAME_TRANSFORMS))
            raise ValueError(
                f"unknown class_name_transform {transform!r}; known: {known}"
            ) from None
    return [template.replace(NAME_SLOT, rename(name)) for name in class_names]


def candidate_texts(spec: TaskSpec, class_names: Sequence[str] | None = None) -> list[str]:
    """A task's candidate texts: its fixed list, or its template over `class_names`."""
    params = spec.params
    fixed = params.get("candidate_labels")
    if fixed:
        return list(fixed)
    template = params.get("candidate_label_template")
    if template is None:
        raise ValueError(f"{spec.name}: neither candidate_labels nor candidate_label_template")
    if class_names is None:
        raise ValueError(f"{spec.name}: class names are needed to fill {template!r}")
    texts = build_candidate_texts(template, class_names, params.get("class_name_transform"))
    check_candidate_statistics(spec, texts)
    return texts


def check_candidate_statistics(spec: TaskSpec, texts: Sequence[str]) -> None:
    """Warn when class names read from the data do not give the reference's candidate texts.

    The suites carry the count of distinct candidate texts and their summed length from the
    reference's stored statistics; a mismatch means other class names (another dataset
    revision, a changed label feature), so scores would not be comparable.
    """
    expected_count = spec.params.get("n_candidates_unique")
    expected_chars = spec.params.get("candidate_texts_total_chars")
    count, chars = len(set(texts)), sum(len(t) for t in texts)
    if (expected_count is not None and count != expected_count) or (
        expected_chars is not None and chars != expected_chars
    ):
        warnings.warn(
            f"{spec.name}: candidate texts from the data ({count} distinct, {chars} chars) "
            f"differ from the reference statistics ({expected_count} distinct, "
            f"{expected_chars} chars); scores may not be comparable with published ones",
            CandidateTextsWarning,
            stacklevel=2,
        )


class CandidateTextsWarning(UserWarning):
    """Zero-shot prompts built from the data differ from the reference's."""
