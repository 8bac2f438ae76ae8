"""Evaluators, one module per task type, found by the protocol name in a task spec.

The registry maps protocol -> "module:function" and imports lazily, so collection stays
free of numpy/sklearn/torch imports.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

EVALUATORS: dict[str, str] = {
    "linear_probe": "pytest_mieb.evaluators.classification:evaluate_linear_probe",
    "multilabel_probe": "pytest_mieb.evaluators.classification:evaluate_multilabel_probe",
    "kmeans_clustering": "pytest_mieb.evaluators.clustering:evaluate_clustering",
    "zero_shot": "pytest_mieb.evaluators.zeroshot:evaluate_zero_shot",
    "retrieval": "pytest_mieb.evaluators.retrieval:evaluate_retrieval",
    "multiple_choice": "pytest_mieb.evaluators.retrieval:evaluate_multiple_choice",
    "image_text_pair_matching": "pytest_mieb.evaluators.compositionality:evaluate_pair_matching",
    "visual_sts": "pytest_mieb.evaluators.sts:evaluate_visual_sts",
    "aggregate_of_visual_sts": "pytest_mieb.evaluators.sts:evaluate_visual_sts_aggregate",
}

_RETRIEVAL_PARAMS = frozenset(
    {"query_modalities", "corpus_modalities", "k_values", "top_k_retrieved",
     "skip_first_result", "ignore_identical_ids", "seed"}
)  # fmt: skip

#: The `params` keys each protocol understands (read by its evaluator or its data loader).
#: A suite file naming any other key is refused, so a typo never silently falls back to a
#: default.
PARAMETERS: dict[str, frozenset[str]] = {
    "linear_probe": frozenset(
        {"samples_per_label", "n_experiments", "seed", "max_iter", "drop_train_rows"}
    ),
    "multilabel_probe": frozenset({"samples_per_label", "n_experiments", "seed", "n_neighbors"}),
    "kmeans_clustering": frozenset({"batch_size", "seed"}),
    "zero_shot": frozenset(
        {
            "candidate_labels",
            "candidate_label_template",
            "class_name_transform",
            "scoring_path",
            "n_candidates",
            "n_candidates_unique",
            "candidate_texts_total_chars",
            "seed",
        }
    ),
    "retrieval": _RETRIEVAL_PARAMS,
    "multiple_choice": _RETRIEVAL_PARAMS | {"cvbench_task"},
    "image_text_pair_matching": frozenset(
        {"n_images_per_sample", "n_texts_per_sample", "source_split", "seed"}
    ),
    "visual_sts": frozenset({"gold_score_range", "seed"}),
    "aggregate_of_visual_sts": frozenset({"subtasks", "seed"}),
}


def get_evaluator(protocol: str) -> Callable[..., Any]:
    """The evaluate function for a protocol; KeyError lists the known ones."""
    try:
        target = EVALUATORS[protocol]
    except KeyError:
        known = ", ".join(sorted(EVALUATORS))
        raise KeyError(f"no evaluator for protocol {protocol!r}; known: {known}") from None
    module_name, func_name = target.split(":")
    return getattr(importlib.import_module(module_name), func_name)
