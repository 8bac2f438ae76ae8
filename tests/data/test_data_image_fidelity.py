"""Images as the reference sees them: decoded by `datasets`' `Image` feature (EXIF
orientation applied) and, for ImageCoDe and WIT, stored again by a `Dataset.map` rebuild.

Every expectation is `datasets`' own behaviour on the same bytes, not a restatement of ours.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from data_layouts import REVISION, configs_repo, make_spec
from datasets import Dataset, Features, Image, Sequence, Value
from PIL import Image as PILImage

from pytest_mieb.data import load_task_data
from pytest_mieb.data.images import (
    ImageColumn,
    as_map_stores_it,
    open_image,
    stored_bytes,
    to_rgb,
)
from pytest_mieb.embed.decode import load_rgb
from pytest_mieb.tasks.spec import DatasetRef

STR = Value("string")


def noise(mode: str = "RGB", size: tuple[int, int] = (64, 40), seed: int = 0) -> PILImage.Image:
    """Random pixels: the worst case for a lossy re-encode, and no symmetry to hide a
    rotation behind."""
    rng = np.random.default_rng(seed)
    pixels = (rng.random((size[1], size[0], 3)) * 255).astype("uint8")
    return PILImage.fromarray(pixels, "RGB").convert(mode)


def saved(image: PILImage.Image, fmt: str, orientation: int | None = None, **options) -> bytes:
    buffer = io.BytesIO()
    if orientation is not None:
        exif = PILImage.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif.tobytes()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


SOURCES = {
    "jpeg q95": saved(noise(), "JPEG", quality=95),
    "jpeg orientation 6": saved(noise(), "JPEG", 6, quality=95),
    "jpeg orientation 1": saved(noise(), "JPEG", 1, quality=95),
    "jpeg orientation 3": saved(noise(), "JPEG", 3, quality=95),
    "jpeg orientation 8": saved(noise(), "JPEG", 8, quality=95),
    "jpeg L": saved(noise("L"), "JPEG", quality=95),
    "jpeg CMYK": saved(noise("CMYK"), "JPEG", quality=95),
    "png RGB": saved(noise(), "PNG"),
    "png RGBA": saved(noise("RGBA"), "PNG"),
    "png P": saved(noise("P"), "PNG"),
    "png LA": saved(noise("LA"), "PNG"),
    "png orientation 6": saved(noise(), "PNG", 6),
    "webp lossless": saved(noise(), "WEBP", lossless=True),
    "webp q90": saved(noise(), "WEBP", quality=90),
    "gif": saved(noise("P"), "GIF"),
}
NAMES = list(SOURCES)


@pytest.fixture(scope="module")
def typed() -> Dataset:
    """The sources in an `Image` column: `typed[i]["image"]` is datasets' own decode."""
    cells = [{"bytes": SOURCES[n], "path": None} for n in NAMES]
    return Dataset.from_dict(
        {"name": NAMES, "image": cells}, features=Features({"name": STR, "image": Image()})
    )


def pixels(image: PILImage.Image) -> np.ndarray:
    return np.asarray(to_rgb(image), dtype=np.int16)


def test_a_jpeg_tagged_rotate_90_comes_out_upright_as_datasets_decodes_it(typed) -> None:
    row = NAMES.index("jpeg orientation 6")
    theirs = typed[row]["image"]
    ours = ImageColumn(typed, "image", "fixture")[row]
    assert PILImage.open(io.BytesIO(SOURCES["jpeg orientation 6"])).size == (64, 40)
    assert theirs.size == (40, 64)
    assert ours.size == (40, 64)
    assert np.array_equal(pixels(ours), pixels(theirs))


@pytest.mark.parametrize("name", NAMES)
def test_every_source_decodes_to_datasets_pixels(typed, name: str) -> None:
    row = NAMES.index(name)
    theirs = typed[row]["image"]
    ours = ImageColumn(typed, "image", "fixture")[row]
    assert ours.mode == "RGB" and ours.size == theirs.size
    assert np.array_equal(pixels(ours), pixels(theirs))
    # the embedder's own decoder (values that are not ImageColumn items) agrees
    assert np.array_equal(pixels(load_rgb({"bytes": SOURCES[name], "path": None})), pixels(ours))


def test_a_file_path_cell_is_oriented_too(tmp_path: Path) -> None:
    path = tmp_path / "tagged.jpg"
    path.write_bytes(SOURCES["jpeg orientation 6"])
    assert open_image({"bytes": None, "path": str(path)}).size == (40, 64)
    assert load_rgb(str(path)).size == (40, 64)


@pytest.fixture(scope="module")
def mapped(typed: Dataset) -> Dataset:
    """What the reference's ImageCoDe / WIT loaders do: a map returning the decoded image."""
    return typed.map(lambda row: {"image": row["image"]})


@pytest.mark.parametrize("name", NAMES)
def test_reencoding_writes_the_bytes_datasets_writes(typed, mapped, name: str) -> None:
    row = NAMES.index(name)
    theirs = mapped.cast_column("image", Image(decode=False))[row]["image"]["bytes"]
    assert stored_bytes(open_image({"bytes": SOURCES[name], "path": None})) == theirs
    ours = ImageColumn(typed, "image", "fixture", reencoded=True)[row]
    assert np.array_equal(pixels(ours), pixels(mapped[row]["image"]))


def test_reencoding_is_lossy_for_jpeg_and_lossless_for_tagged_images(typed) -> None:
    plain = ImageColumn(typed, "image", "fixture")
    stored = ImageColumn(typed, "image", "fixture", reencoded=True)
    jpeg = NAMES.index("jpeg q95")
    tagged = NAMES.index("jpeg orientation 6")
    assert not np.array_equal(pixels(stored[jpeg]), pixels(plain[jpeg]))
    jpeg_bytes = stored_bytes(open_image(SOURCES["jpeg q95"]))
    assert PILImage.open(io.BytesIO(jpeg_bytes)).format == "JPEG"
    assert np.array_equal(pixels(stored[tagged]), pixels(plain[tagged]))
    tagged_bytes = stored_bytes(open_image(SOURCES["jpeg orientation 6"]))
    assert PILImage.open(io.BytesIO(tagged_bytes)).format == "PNG"


def test_an_image_opened_from_a_file_keeps_its_pixels(tmp_path: Path) -> None:
    path = tmp_path / "plain.jpg"
    path.write_bytes(SOURCES["jpeg q95"])
    image = open_image(str(path))
    assert as_map_stores_it(image) is image  # datasets stores the path, not new bytes


def test_a_raw_struct_column_is_not_reencoded() -> None:
    raw = Dataset.from_dict(
        {"image": [{"bytes": SOURCES["jpeg q95"], "path": None}]},
        features=Features({"image": {"bytes": Value("binary"), "path": STR}}),
    )
    plain = ImageColumn(raw, "image", "fixture")[0]
    stored = ImageColumn(raw, "image", "fixture", reencoded=True)[0]
    assert np.array_equal(pixels(plain), pixels(stored))


# -- the two loaders that rebuild their images ---------------------------------------------


def imagecode_repo(root: Path) -> DatasetRef:
    ref = DatasetRef("test-org/imagecode-multi", REVISION)
    frames = [saved(noise(seed=k), "JPEG", quality=95) for k in range(10)]
    frames[4] = saved(noise(seed=4), "JPEG", 6, quality=95)
    qrels = [("q1", f"c{k}", int(k == 0)) for k in range(10)]
    configs_repo(
        root / ref.path,
        {
            "corpus": {
                "corpus": (
                    {
                        "id": [f"c{k}" for k in range(10)],
                        "image": [{"bytes": b, "path": None} for b in frames],
                    },
                    Features({"id": STR, "image": Image()}),
                )
            },
            "query": {
                "test": ({"id": ["q1"], "text": ["frame"]}, Features({"id": STR, "text": STR}))
            },
            "qrels": {
                "test": (
                    {
                        "query-id": [r[0] for r in qrels],
                        "corpus-id": [r[1] for r in qrels],
                        "score": [r[2] for r in qrels],
                    },
                    Features({"query-id": STR, "corpus-id": STR, "score": Value("int8")}),
                )
            },
        },
    )
    return ref


def test_imagecode_reads_the_frames_as_the_rebuilt_dataset_holds_them(data_dir: Path) -> None:
    ref = imagecode_repo(data_dir)
    spec = make_spec(
        dataset=ref,
        type="Compositionality",
        protocol="image_text_pair_matching",
        loader="imagecode",
        main_score="image_acc",
    )
    data = load_task_data(spec, data_dir=data_dir)
    import datasets

    corpus = datasets.load_dataset(str(data_dir / ref.path), "corpus")["corpus"]
    rebuilt = corpus.map(lambda row: {"image": row["image"]})
    for column in data.image_columns:
        assert "/image(re-encoded)" in column.key
    ours = [pixels(column.images[0]) for column in data.image_columns]
    theirs = [pixels(rebuilt[k]["image"]) for k in range(10)]
    assert all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))
    assert ours[4].shape == (64, 40, 3)  # the tagged frame, upright


def test_wit_corpus_is_rebuilt_and_xm3600_raw_structs_are_not(data_dir: Path) -> None:
    jpeg = SOURCES["jpeg q95"]
    raw_struct = {"bytes": Value("binary"), "path": STR}
    for name, image_feature in (("wit", Image()), ("xm3600", raw_struct)):
        ref = DatasetRef(f"test-org/{name}", REVISION)
        configs_repo(
            data_dir / ref.path,
            {
                "default": {
                    "en": (
                        {
                            "image_id": ["a"],
                            "captions": [["a caption"]],
                            "image": [{"bytes": jpeg, "path": None}],
                        },
                        Features(
                            {"image_id": STR, "captions": Sequence(STR), "image": image_feature}
                        ),
                    )
                }
            },
        )
        spec = make_spec(
            dataset=ref,
            type="Any2AnyMultilingualRetrieval",
            protocol="retrieval",
            loader=name,
            category="t2i",
            subsets=("en",),
            main_score="ndcg_at_10",
        )
        image = load_task_data(spec, data_dir=data_dir).subsets["en"].corpus.images[0]
        reencoded = to_rgb(open_image(stored_bytes(open_image(jpeg))))
        plain = to_rgb(open_image(jpeg))
        expected = reencoded if name == "wit" else plain
        assert np.array_equal(pixels(image), pixels(expected)), name
