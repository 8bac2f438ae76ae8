"""`python -m pytest_mieb scan`: the fidelity facts of a task's pinned data, on a mirror in
the hub layout that has each property (an EXIF-rotated JPEG, an RGBA and a grey-scale
image, a padded document text, a repeated corpus id, a `top_ranked` config)."""

from __future__ import annotations

import io
from pathlib import Path

from data_layouts import cell, configs_repo, solid
from datasets import Features, Image, Sequence, Value
from PIL import Image as PILImage

from pytest_mieb.cli import main
from pytest_mieb.data.scan import scan_source
from pytest_mieb.data.source import open_source
from pytest_mieb.tasks.index import load_all_specs

STR = Value("string")
TASK = "Flickr30kI2TRetrieval"
SPEC = load_all_specs()[TASK]


def rotated_jpeg() -> dict:
    exif = PILImage.Exif()
    exif[0x0112] = 6  # rotate 90
    buffer = io.BytesIO()
    solid(10, size=(8, 4)).save(buffer, format="JPEG", exif=exif.tobytes())
    return {"bytes": buffer.getvalue(), "path": None}


def flickr_mirror(root: Path) -> None:
    queries = [
        rotated_jpeg(),
        cell(solid(20, "RGBA")),
        cell(solid(30, "L")),
        cell(solid(40, size=(30, 20))),
    ]
    configs_repo(
        root,
        {
            "corpus": {
                "test": (
                    {"id": ["d1", "d1", "d3"], "text": [" one", "two", "three"]},
                    Features({"id": STR, "text": STR}),
                )
            },
            "query": {
                "test": (
                    {"id": ["q1", "q2", "q3", "q4"], "image": queries},
                    Features({"id": STR, "image": Image()}),
                )
            },
            "qrels": {
                "test": (
                    {
                        "query-id": ["q1", "q2", "q3", "q4"],
                        "corpus-id": ["d1", "d1", "d3", "d3"],
                        "score": [1, 1, 1, 1],
                    },
                    Features({"query-id": STR, "corpus-id": STR, "score": Value("int64")}),
                )
            },
            "top_ranked": {
                "test": (
                    {"query-id": ["q1"], "corpus-ids": [["d1", "d3"]]},
                    Features({"query-id": STR, "corpus-ids": Sequence(STR)}),
                )
            },
        },
    )


def test_scan_counts_every_fidelity_fact(data_dir: Path) -> None:
    flickr_mirror(data_dir / SPEC.dataset.path)
    facts = scan_source(open_source(SPEC.dataset, data_dir=data_dir, hub_offline=True))
    assert facts.images == 4
    assert facts.exif_rotated == 1
    assert facts.alpha == 1
    assert facts.non_rgb == 2  # RGBA and L
    assert facts.largest == (30, 20) and facts.largest_at == "query/test/image row 3"
    assert (facts.texts, facts.padded_texts) == (3, 1)  # ids are not texts
    assert facts.duplicate_ids == {"corpus/test/id": 1}
    assert sorted(facts.configs) == ["corpus", "qrels", "query", "top_ranked"]
    assert facts.extra_configs == ["top_ranked"]


def test_scan_command_prints_one_line_per_task(data_dir: Path, capsys) -> None:
    flickr_mirror(data_dir / SPEC.dataset.path)
    assert main(["scan", str(data_dir), "--task", TASK]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    name, dataset, facts = line.split("\t")
    assert (name, dataset) == (TASK, str(SPEC.dataset))
    assert facts == (
        "images 4; exif-rotated 1 (25.0%); alpha 1 (25.0%); non-RGB 2 (50.0%); "
        "largest 30x20 (query/test/image row 3); texts 3; padded 1 (33.3%); "
        "duplicate ids corpus/test/id: 1; extra configs top_ranked"
    )


def test_scan_command_reports_a_missing_mirror_and_fails(data_dir: Path, capsys) -> None:
    assert main(["scan", str(data_dir), "--task", TASK]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith(f"{TASK}\t{SPEC.dataset}\terror: ")
