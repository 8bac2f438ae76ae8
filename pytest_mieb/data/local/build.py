"""The offline suite's datasets by name (under org `pytest-mieb`), each with its builder.

Every builder is deterministic (fixed seeds, no clock) and small: a few dozen images,
drawn or taken from scikit-learn's bundled digits, written in the schema of its hub
counterpart. The builders live by dataset family: `labelled`, `compositionality`,
`vision_qa`, `retrieval_corpora`, `visual_sts`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytest_mieb.data.local.compositionality import (
    build_imagecode,
    build_relations,
    build_swapped_pairs,
)
from pytest_mieb.data.local.labelled import build_digits, build_multilabel_shapes, build_wds_digits
from pytest_mieb.data.local.retrieval_corpora import (
    build_doc_pages,
    build_scenes_i2i,
    build_scenes_t2i,
    build_wit_captions,
)
from pytest_mieb.data.local.vision_qa import build_cv_bench, build_multi_choice_it2i
from pytest_mieb.data.local.visual_sts import build_rendered_sts, build_rendered_sts_multi

DATASETS: dict[str, Callable[[Path], None]] = {
    "local-digits": build_digits,
    "local-wds-digits": build_wds_digits,
    "local-multilabel-shapes": build_multilabel_shapes,
    "local-relations": build_relations,
    "local-swapped-pairs": build_swapped_pairs,
    "local-imagecode": build_imagecode,
    "local-cv-bench": build_cv_bench,
    "local-multi-choice-it2i": build_multi_choice_it2i,
    "local-scenes-t2i": build_scenes_t2i,
    "local-scenes-i2i": build_scenes_i2i,
    "local-doc-pages": build_doc_pages,
    "local-wit-captions": build_wit_captions,
    "local-rendered-sts": build_rendered_sts,
    "local-rendered-sts-multi": build_rendered_sts_multi,
}
