"""The table: every hub repo the packaged MIEB tasks read -> its layout family and schema.

Pure data. Each entry names the family module that writes it (`labelled`, `wds`, `beir`,
`vidore`, `pairs`, `imagecode`, `cvbench`, `sts`, `paired`, `multilingual`) and that
family's options. Where a schema recurs (the M-BEIR copies, the JamieSJS / isaacchung BEIR
copies, the ViDoRe copies, the clip-benchmark WebDataset copies) the entry is built from a
shared base.

Evidence (see /work/shared/mieb/hub-schemas.md): column names and dtypes follow the repo's
own card where it was seen, else its upstream's card, else the catalogue's column notes
and what the mteb 2.26 task classes read (`remove_columns` lists name columns that must
exist). Class names are the real ones' first few where known; only a few classes are
written (zero-shot candidate lists built from ClassLabel names then have that many
entries; fixed candidate lists only need the labels to index them).
"""

from __future__ import annotations

from typing import Any

# -- class names (first few of the real lists where known) --------------------------------

CIFAR10 = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
CIFAR100_FINE = ["apple", "aquarium_fish", "baby", "bear", "beaver"]
CIFAR100_COARSE = [
    "aquatic_mammals",
    "fish",
    "flowers",
    "food_containers",
    "fruit_and_vegetables",
    "household_electrical_devices",
    "household_furniture",
    "insects",
    "large_carnivores",
    "large_man-made_outdoor_things",
    "large_natural_outdoor_scenes",
    "large_omnivores_and_herbivores",
    "medium_mammals",
    "non-insect_invertebrates",
    "people",
    "reptiles",
    "small_mammals",
    "trees",
    "vehicles_1",
    "vehicles_2",
]
CIFAR100_FINE_TO_COARSE = [4, 1, 14, 8, 0]
MNIST = [str(d) for d in range(10)]
STL10 = ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"]
EUROSAT = [
    "AnnualCrop",
    "Forest",
    "HerbaceousVegetation",
    "Highway",
    "Industrial",
    "Pasture",
    "PermanentCrop",
    "Residential",
    "River",
    "SeaLake",
]
VOC2007 = [
    "aeroplane",
    "bicycle",
    "bird",
    "boat",
    "bottle",
    "bus",
    "car",
    "cat",
    "chair",
    "cow",
    "diningtable",
    "dog",
    "horse",
    "motorbike",
    "person",
    "pottedplant",
    "sheep",
    "sofa",
    "train",
    "tvmonitor",
]
OXFORD_PETS = [
    "abyssinian",
    "american bulldog",
    "american pit bull terrier",
    "basset hound",
    "beagle",
    "bengal",
]
OXFORD_PETS_SPECIES = [0, 1, 1, 1, 1, 0]  # Cat / Dog of each breed above
FGVC_VARIANTS = ["707-320", "727-200", "737-200", "737-300", "737-400"]
FGVC_FAMILIES = ["Boeing 707", "Boeing 727", "Boeing 737"]
FGVC_VARIANT_FAMILY = [0, 1, 2, 2, 2]

LABELLED_NAMES: dict[str, list[str]] = {
    "birdsnap": [
        "Acadian Flycatcher",
        "Acorn Woodpecker",
        "Alder Flycatcher",
        "Allens Hummingbird",
        "Altamira Oriole",
    ],
    "caltech101": ["accordion", "airplanes", "anchor", "ant", "background_google"],
    "dtd": ["banded", "blotchy", "braided", "bubbly", "bumpy"],
    "food101": ["apple_pie", "baby_back_ribs", "baklava", "beef_carpaccio", "beef_tartare"],
    "flowers": [
        "pink primrose",
        "hard-leaved pocket orchid",
        "canterbury bells",
        "sweet pea",
        "english marigold",
    ],
    "resisc45": ["airplane", "airport", "baseball_diamond", "basketball_court", "beach"],
    "stanford_cars": [
        "AM General Hummer SUV 2000",
        "Acura RL Sedan 2012",
        "Acura TL Sedan 2012",
        "Acura TL Type-S 2008",
        "Acura TSX Sedan 2012",
    ],
    # SUN397 ClassLabel names are paths; one three-part name exercises the name transform.
    "sun397": [
        "/a/abbey",
        "/a/airplane_cabin",
        "/b/boat_deck",
        "/c/church/outdoor",
        "/s/shoe_shop",
    ],
    "ucf101": ["ApplyEyeMakeup", "ApplyLipstick", "Archery", "BabyCrawling", "BalanceBeam"],
    "imagenet_dog": ["Chihuahua", "Japanese spaniel", "Maltese dog", "Pekinese", "Shih-Tzu"],
    "imagenet10": ["penguin", "dog", "leopard", "airliner", "airship"],
    "tiny_imagenet": ["n01443537", "n01629819", "n01641577", "n01644900", "n01698640"],
}

WDS_NAMES: dict[str, list[str]] = {
    "country211": [
        "Andorra",
        "United Arab Emirates",
        "Afghanistan",
        "Antigua and Barbuda",
        "Anguilla",
    ],
    "fer2013": ["angry", "disgusted", "fearful", "happy", "neutral", "sad", "surprised"],
    "gtsrb": [
        "red and white circle 20 kph speed limit",
        "red and white circle 30 kph speed limit",
        "red and white circle 50 kph speed limit",
        "red and white circle 60 kph speed limit",
        "red and white circle 70 kph speed limit",
    ],
    "imagenet1k": ["tench", "goldfish", "great white shark", "tiger shark", "hammerhead shark"],
    "pcam": ["lymph node", "lymph node containing metastatic tumor tissue"],
    "clevr_distance": ["very nearby", "nearby", "near", "", "distant", "very distant"],
    "clevr_count": ["three", "four", "five", "six", "seven", "eight", "nine", "ten"],
    "renderedsst2": ["negative", "positive"],
}


def _labelled(image: str, label: str, names: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "family": "labelled",
        "image": image,
        "label": label,
        "names": names,
        "splits": ("train", "test"),
        "fmt": "PNG",
        **extra,
    }


def _wds(ext: str, names: str, **extra: Any) -> dict[str, Any]:
    return {
        "family": "wds",
        "ext": ext,
        "names": WDS_NAMES[names],
        "splits": ("train", "test"),
        **extra,
    }


# M-BEIR copies (MRBench/mbeir_*): files at the repo root, configs corpus / query / qrels,
# corpus split "corpus", qrels with a Q0 column, score int8, text and image on both sides.
MBEIR = {"family": "beir", "style": "root", "q0": True, "all_columns": True, "score": "int8"}
# JamieSJS / isaacchung copies: the same root layout without Q0; columns per modality.
JAMIE = {"family": "beir", "style": "root", "q0": False, "all_columns": False, "score": "int8"}
VIDORE = {"family": "vidore", "score": "float64"}

REPOS: dict[str, dict[str, Any]] = {
    # -- labelled images, parquet (default config, data/<split>-*.parquet) --------------
    # The real train split holds a truncated image at row 3854 that both loaders drop
    # (mteb's dataset_transform, pytest-mieb's params.drop_train_rows): the mirror too.
    "mteb/birdsnap": _labelled(
        "image",
        "common",
        LABELLED_NAMES["birdsnap"],
        fmt="JPEG",
        min_rows={"train": 3855},
        corrupt_rows={"train": [3854]},
    ),
    "mteb/Caltech101": _labelled("image", "label", LABELLED_NAMES["caltech101"], fmt="JPEG"),
    "mteb/cifar10": _labelled("img", "label", CIFAR10),
    "mteb/cifar100": _labelled(
        "img",
        "fine_label",
        CIFAR100_FINE,
        extras={"coarse_label": ("classlabel_of", CIFAR100_COARSE, CIFAR100_FINE_TO_COARSE)},
    ),
    "mteb/dtd": _labelled("image", "label", LABELLED_NAMES["dtd"], fmt="JPEG"),
    # timm/eurosat-rgb: train/validation/test and a string column after the label.
    "mteb/eurosat-rgb": _labelled(
        "image",
        "label",
        EUROSAT,
        splits=("train", "validation", "test"),
        fmt="JPEG",
        extras={"image_id": ("row_str", "{name}_{row}")},
    ),
    "mteb/FGVCAircraft": _labelled(
        "image",
        "variant",
        FGVC_VARIANTS,
        fmt="JPEG",
        extras={
            "family": ("classlabel_of", FGVC_FAMILIES, FGVC_VARIANT_FAMILY),
            "manufacturer": ("classlabel_of", ["Boeing"], [0, 0, 0, 0, 0]),
        },
    ),
    "mteb/FGVCAircraftZeroShot": _labelled(
        "image",
        "variant",
        FGVC_VARIANTS,
        fmt="JPEG",
        extras={
            "family": ("classlabel_of", FGVC_FAMILIES, FGVC_VARIANT_FAMILY),
            "manufacturer": ("classlabel_of", ["Boeing"], [0, 0, 0, 0, 0]),
        },
    ),
    "mteb/food101": _labelled(
        "image", "label", LABELLED_NAMES["food101"], splits=("train", "validation"), fmt="JPEG"
    ),
    "mteb/mnist": _labelled("image", "label", MNIST, mode="L"),
    "mteb/oxford-flowers": _labelled("image", "label", LABELLED_NAMES["flowers"], fmt="JPEG"),
    # isaacchung/OxfordPets (same git history as the pinned revision): image, label, species, id.
    "mteb/OxfordPets": _labelled(
        "image",
        "label",
        OXFORD_PETS,
        fmt="JPEG",
        extras={
            "species": ("classlabel_of", ["Cat", "Dog"], OXFORD_PETS_SPECIES),
            "id": ("row_int",),
        },
    ),
    "mteb/resisc45": _labelled("image", "label", LABELLED_NAMES["resisc45"], fmt="JPEG"),
    "mteb/StanfordCars": _labelled("image", "label", LABELLED_NAMES["stanford_cars"], fmt="JPEG"),
    "mteb/stl10": _labelled("image", "label", STL10),
    "mteb/sun397": _labelled("image", "label", LABELLED_NAMES["sun397"], fmt="JPEG"),
    "mteb/ucf101": _labelled("image", "label", LABELLED_NAMES["ucf101"], fmt="JPEG"),
    "mteb/VOC2007": _labelled("image", "classes", VOC2007, fmt="JPEG", multilabel=True),
    "mteb/imagenet-dog-15": _labelled(
        "image", "label", LABELLED_NAMES["imagenet_dog"], splits=("test",), fmt="JPEG"
    ),
    "mteb/imagenet-10": _labelled(
        "image", "label", LABELLED_NAMES["imagenet10"], splits=("test",), fmt="JPEG"
    ),
    # zh-plus/tiny-imagenet: splits train / valid (a README names the split `valid`;
    # without it datasets would infer `validation` from the file names).
    "mteb/tiny-imagenet": _labelled(
        "image", "label", LABELLED_NAMES["tiny_imagenet"], splits=("train", "valid"), fmt="JPEG"
    ),
    # -- labelled images, WebDataset (clip-benchmark copies) ------------------------------
    "mteb/wds_country211": _wds("jpg", "country211"),
    "mteb/wds_fer2013": _wds("jpg", "fer2013", mode="L"),
    "mteb/wds_gtsrb": _wds("webp", "gtsrb"),
    "mteb/wds_imagenet1k": _wds("jpg", "imagenet1k"),
    "mteb/wds_vtab-pcam": _wds("webp", "pcam"),
    "mteb/wds_vtab-clevr_closest_object_distance": _wds("webp", "clevr_distance"),
    "mteb/wds_vtab-clevr_count_all": _wds("webp", "clevr_count"),
    "mteb/wds_renderedsst2": _wds("png", "renderedsst2", rendered=True),
    # -- BEIR-style retrieval / multiple choice ------------------------------------------
    "mteb/blink-it2i": {**JAMIE, "relevance": "pair"},
    "mteb/blink-it2t": {**JAMIE, "relevance": "pool", "pool_candidates": 1},
    "mteb/blink-it2i-multi": {**JAMIE, "relevance": "choice", "choices": 2},
    "mteb/blink-it2t-multi": {**JAMIE, "relevance": "pool", "pool_candidates": 3},
    "mteb/mbeir_cirr_task7": {**MBEIR, "relevance": "pair"},
    "mteb/mbeir_edis_task2": {**MBEIR, "relevance": "pair", "per_query": 2},
    "mteb/mbeir_fashion200k_task3": {**MBEIR, "relevance": "pair"},
    "mteb/mbeir_fashion200k_task0": {**MBEIR, "relevance": "pair", "per_query": 2},
    "mteb/mbeir_fashioniq_task7": {**MBEIR, "relevance": "pair"},
    "mteb/InfoSeekIT2ITRetrieval": {**MBEIR, "relevance": "pair"},
    "mteb/mbeir_infoseek_task6": {**MBEIR, "relevance": "pair", "per_query": 2},
    "mteb/mbeir_mscoco_task3": {**MBEIR, "relevance": "pair"},
    "mteb/mbeir_mscoco_task0": {**MBEIR, "relevance": "pair"},
    "mteb/mbeir_nights_task4": {**MBEIR, "relevance": "pair"},
    "mteb/mbeir_oven_task8": {**MBEIR, "relevance": "pair", "per_query": 2},
    "mteb/mbeir_oven_task6": {**MBEIR, "relevance": "pair", "per_query": 2},
    "mteb/mbeir_visualnews_task3": {**MBEIR, "relevance": "pair"},
    "mteb/mbeir_visualnews_task0": {**MBEIR, "relevance": "pair"},
    "mteb/mbeir_webqa_task2": {**MBEIR, "relevance": "pair", "per_query": 2},
    "mteb/mbeir_webqa_task1": {**MBEIR, "relevance": "pair", "per_query": 2},
    "mteb/cub200_retrieval": {**JAMIE, "relevance": "class", "self_in_corpus": True},
    # isaacchung/flickr30k*: folders corpus/ (split corpus), query/, qrels/ (split test).
    "mteb/flickr30ki2t": {**JAMIE, "style": "folders", "relevance": "pair", "per_query": 5},
    "mteb/flickr30kt2i": {**JAMIE, "style": "folders", "relevance": "pair"},
    # isaacchung/forb_retrieval: corpus/ and query/ folders, qrels file at the root.
    "mteb/forb_retrieval": {**JAMIE, "style": "forb", "relevance": "pair"},
    # gowitheflow/gld-v2: folders, a null-typed text column, score int64.
    "mteb/gld-v2": {
        **JAMIE,
        "style": "folders",
        "all_columns": True,
        "text_null": True,
        "score": "int64",
        "relevance": "class",
    },
    "mteb/gld-v2-i2t": {**JAMIE, "relevance": "pair"},
    "mteb/imagecode": {"family": "imagecode", "judge_all": False},
    "mteb/imagecode-multi": {"family": "imagecode", "judge_all": True},
    "mteb/met": {**JAMIE, "relevance": "class", "self_in_corpus": True},
    # r-Oxford / r-Paris: (nearly) every query-document pair judged, most with score 0.
    "mteb/r-oxford-easy-multi": {**JAMIE, "relevance": "class", "judge_all": True},
    "mteb/r-oxford-medium-multi": {**JAMIE, "relevance": "class", "judge_all": True},
    "mteb/r-oxford-hard-multi": {**JAMIE, "relevance": "class", "judge_all": True},
    "mteb/r-paris-easy-multi": {**JAMIE, "relevance": "class", "judge_all": True},
    "mteb/r-paris-medium-multi": {**JAMIE, "relevance": "class", "judge_all": True},
    "mteb/r-paris-hard-multi": {**JAMIE, "relevance": "class", "judge_all": True},
    "mteb/rp2k": {**JAMIE, "relevance": "class", "self_in_corpus": True},
    "mteb/sketchy": {**JAMIE, "relevance": "class"},
    "mteb/stanford-online-products": {**JAMIE, "relevance": "class", "self_in_corpus": True},
    "mteb/stanford_cars_retrieval": {
        **JAMIE,
        "all_columns": True,
        "relevance": "class",
        "self_in_corpus": True,
    },
    # gowitheflow/tu-berlin: corpus (id, modality, text, image); one text query per class.
    "mteb/tu-berlin": {**JAMIE, "style": "folders", "all_columns": True, "relevance": "class"},
    "mteb/vizwiz": {**JAMIE, "relevance": "pool", "pool_candidates": 1},
    "mteb/vqa-2": {**JAMIE, "relevance": "pool", "pool_candidates": 1},
    # -- ViDoRe copies: configs corpus / queries / qrels, all split test ------------------
    "mteb/arxivqa_test_subsampled_beir": VIDORE,
    "mteb/docvqa_test_subsampled_beir": {**VIDORE, "score": "int64"},
    "mteb/infovqa_test_subsampled_beir": {**VIDORE, "score": "int64"},
    "mteb/tabfquad_test_subsampled_beir": {**VIDORE, "score": "int64"},
    "mteb/tatdqa_test_beir": VIDORE,
    "mteb/shiftproject_test_beir": VIDORE,
    "mteb/syntheticDocQA_artificial_intelligence_test_beir": VIDORE,
    "mteb/syntheticDocQA_energy_test_beir": VIDORE,
    "mteb/syntheticDocQA_government_reports_test_beir": VIDORE,
    "mteb/syntheticDocQA_healthcare_industry_test_beir": VIDORE,
    # -- compositionality (one row: images x captions) -----------------------------------
    "mteb/ARO-COCO-order": {"family": "pairs", "kind": "order"},
    "mteb/ARO-Flickr-Order": {"family": "pairs", "kind": "order"},
    "mteb/ARO-Visual-Attribution": {"family": "pairs", "kind": "attribution"},
    "mteb/ARO-Visual-Relation": {"family": "pairs", "kind": "relation"},
    "mteb/SUGARCREPE_fmt": {"family": "pairs", "kind": "sugarcrepe"},
    "facebook/winoground": {"family": "pairs", "kind": "winoground"},
    # -- CV-Bench: one parquet split, four sub-tasks by the `task` column -------------------
    "mteb/CV-Bench": {"family": "cvbench"},
    # -- rendered STS -----------------------------------------------------------------------
    "mteb/rendered-sts12": {
        "family": "sts",
        "style": "data",
        "splits": ("train", "test"),
        "small_splits": ("train",),
    },
    "mteb/rendered-sts13": {"family": "sts", "style": "data", "splits": ("test",)},
    "mteb/rendered-sts14": {"family": "sts", "style": "data", "splits": ("test",)},
    "mteb/rendered-sts15": {"family": "sts", "style": "data", "splits": ("test",)},
    "mteb/rendered-sts16": {"family": "sts", "style": "data", "splits": ("test",)},
    "Pixel-Linguist/rendered-sts17": {
        "family": "sts",
        "style": "config_dirs",
        "splits": ("test",),
        "configs": (
            "ar-ar",
            "en-ar",
            "en-de",
            "en-en",
            "en-tr",
            "es-en",
            "es-es",
            "fr-en",
            "it-en",
            "ko-ko",
            "nl-en",
        ),
    },
    "Pixel-Linguist/rendered-stsb": {
        "family": "sts",
        "style": "split_dirs",
        "splits": ("train", "dev", "test"),
        "small_splits": ("train",),
        "configs": ("de", "en", "es", "fr", "it", "nl", "pl", "pt", "ru", "zh"),
    },
    # -- retrieval built from paired rows ----------------------------------------------------
    "mteb/MMSoc_HatefulMemes": {"family": "paired", "kind": "hateful_memes"},
    "mteb/MMSoc_Memotion_corrected": {"family": "paired", "kind": "memotion"},
    "mteb/SciMMIR": {"family": "paired", "kind": "scimmir"},
    # -- one split per language -------------------------------------------------------------
    "mteb/wit": {"family": "multilingual", "kind": "wit"},
    "mteb/xm3600": {"family": "multilingual", "kind": "xm3600"},
    "mteb/xflickrco": {"family": "multilingual", "kind": "xflickrco"},
}
