"""MIEB's task types: the marker and keywords that select each, and the order tables show them.

The one home of this knowledge: collection (markers, `-k` keywords), the leaderboard (type
order) and the suite tools read it from here. Plain data, cheap to import at collection.
"""

from __future__ import annotations

#: mteb task type -> the pytest marker / keyword that selects it, in the leaderboard's order.
TYPE_MARKERS: dict[str, str] = {
    "ImageClassification": "linear_probe",
    "ImageClustering": "clustering",
    "ZeroShotClassification": "zeroshot",
    "VisionCentricQA": "vision_centric_qa",
    "Compositionality": "compositionality",
    "VisualSTS(eng)": "visual_sts",
    "VisualSTS(multi)": "visual_sts",
    "Any2AnyRetrieval": "retrieval",
    "Any2AnyMultilingualRetrieval": "retrieval",
    "DocumentUnderstanding": "document",
}

#: mteb's task types in the order the tables show them.
TYPE_ORDER: tuple[str, ...] = tuple(TYPE_MARKERS)

#: DocumentUnderstanding is retrieval too (ViDoRe), so `-k retrieval` must reach it.
EXTRA_TYPE_KEYWORDS: dict[str, tuple[str, ...]] = {"DocumentUnderstanding": ("retrieval",)}

#: The keyword of tasks with more than one language.
MULTILINGUAL_KEYWORD = "multilingual"

#: Every marker the plugin registers, with its `pytest --markers` text.
MARKERS: dict[str, str] = {
    "mieb": "a task of the MIEB benchmark suites",
    "mieb_lite": "a task of MIEB(lite)",
    "mieb_eng": "a task of MIEB(eng)",
    "mieb_img": "a task of MIEB(Img)",
    "mieb_multilingual": "a task of MIEB(Multilingual)",
    "mieb_local": "a task of the offline suite (data generated locally, no network)",
    "linear_probe": "ImageClassification (k-shot linear probe)",
    "clustering": "ImageClustering",
    "zeroshot": "ZeroShotClassification",
    "retrieval": "Any2AnyRetrieval, Any2AnyMultilingualRetrieval and DocumentUnderstanding",
    "document": "DocumentUnderstanding (ViDoRe)",
    "compositionality": "Compositionality (ARO, SugarCrepe, Winoground, ImageCoDe)",
    "vision_centric_qa": "VisionCentricQA (multiple choice)",
    "visual_sts": "VisualSTS (eng and multi)",
    MULTILINGUAL_KEYWORD: "a task with more than one language",
}


def ordered_types(types: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    """The given task types, known ones in MIEB's order first, others after as given."""
    seen = list(dict.fromkeys(types))
    return [t for t in TYPE_ORDER if t in seen] + [t for t in seen if t not in TYPE_ORDER]
