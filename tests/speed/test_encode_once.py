"""Each unique image is encoded exactly once across the three CIFAR10-schema tasks.

`CIFAR10` (linear probe), `CIFAR10ZeroShot` and `CIFAR10Clustering` read the same test
split; a run of all three must send each test image to the model once, and of the train
split only the rows the probe samples (the union over its experiments), each once. The
model is a counting fake handed in through the `pytest_mieb_load_encoder` hook; every
image carries its own identity in its pixels, so the fake knows which rows it saw.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from datasets import ClassLabel, Dataset, Features
from datasets import Image as ImageFeature
from PIL import Image

from pytest_mieb.tasks.index import load_all_specs

pytest_plugins = ["pytester"]

TASKS = ("CIFAR10", "CIFAR10ZeroShot", "CIFAR10Clustering")
NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
SPLIT_CODE = {"train": 1, "test": 2}
N_ROWS = {"train": 500, "test": 100}

COUNTING_CONFTEST = """
import json, zlib
import numpy as np
import torch

SEEN = []


class IdTransform:
    '''An image's mean colour (split code, row // 256, row % 256): its identity.'''

    def __call__(self, image):
        return torch.tensor(np.asarray(image, dtype=np.float32).mean(axis=(0, 1)))


class CountingEncoder:
    name = "counting"
    revision = "1"
    embed_dim = 8
    similarity = "cosine"
    fingerprint = "counting-encoder-v1"
    image_transform = IdTransform()

    def _vector(self, seed):
        return np.random.default_rng(seed).standard_normal(self.embed_dim) + 3.0

    def encode_pixels(self, pixels):
        rows = []
        for split, high, low in pixels.round().int().tolist():
            SEEN.append([split, high * 256 + low])
            rows.append(self._vector([split, high, low]))
        return torch.tensor(np.array(rows), dtype=torch.float32)

    def encode_images(self, images):
        return self.encode_pixels(torch.stack([self.image_transform(i) for i in images]))

    def encode_texts(self, texts):
        rows = [self._vector(zlib.crc32(t.encode())) for t in texts]
        return torch.tensor(np.array(rows), dtype=torch.float32)

    def encode_fused(self, images, texts):
        return self.encode_images(images) + self.encode_texts(texts)


def pytest_mieb_load_encoder(model_id, device, precision):
    return CountingEncoder() if model_id == "counting" else None


def pytest_sessionfinish(session):
    with open("encoded.json", "w") as handle:
        json.dump(SEEN, handle)
"""


def identity_image(split: str, row: int) -> Image.Image:
    colour = (SPLIT_CODE[split], row // 256, row % 256)
    return Image.new("RGB", (32, 32), colour)


def write_mirror(root: Path, revision: str) -> dict[str, list[int]]:
    """mteb/cifar10 in the hub layout, labels balanced and shuffled; returns the labels."""
    features = Features({"img": ImageFeature(), "label": ClassLabel(names=NAMES)})
    repo = root / "mteb" / "cifar10"
    labels: dict[str, list[int]] = {}
    rng = np.random.default_rng(7)
    for split, n in N_ROWS.items():
        labels[split] = rng.permutation(np.arange(n) % len(NAMES)).tolist()
        images = [identity_image(split, row) for row in range(n)]
        path = repo / "data" / f"{split}-00000-of-00001.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        table = {"img": images, "label": labels[split]}
        Dataset.from_dict(table, features=features).to_parquet(str(path))
    (repo / ".mieb-revision").write_text(revision, encoding="utf-8")
    return labels


def probe_train_rows(labels: list[int], samples_per_label: int, n_experiments: int) -> set[int]:
    """The protocol's sampling written out plainly (mieb-protocols 3.1): one list reshuffled
    in place by a fresh RandomState(42) per experiment; walk it keeping a row while its
    label has fewer than `samples_per_label` kept rows."""
    order = list(range(len(labels)))
    union: set[int] = set()
    for _ in range(n_experiments):
        np.random.RandomState(42).shuffle(order)
        kept: Counter[int] = Counter()
        for row in order:
            if kept[labels[row]] < samples_per_label:
                kept[labels[row]] += 1
                union.add(row)
    return union


def test_three_tasks_encode_each_needed_image_exactly_once(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datasets.config

    # The in-process run converts the mirror to Arrow here, not in the user's datasets cache.
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", pytester.path / "hf-datasets")
    specs = load_all_specs()
    assert {specs[t].dataset.path for t in TASKS} == {"mteb/cifar10"}
    (revision,) = {specs[t].dataset.revision for t in TASKS}
    probe = specs["CIFAR10"].params
    labels = write_mirror(pytester.path / "data", revision)
    pytester.makeconftest(COUNTING_CONFTEST)

    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "--mieb-model=counting",
        "--mieb-data-dir=data",
        f"--mieb-tasks={','.join(TASKS)}",
        "--mieb-results-dir=results",
        "--mieb-workers=0",
    )

    result.assert_outcomes(passed=3)
    seen = json.loads((pytester.path / "encoded.json").read_text())
    per_image = Counter((split, row) for split, row in seen)
    assert set(per_image.values()) == {1}, "some image was encoded more than once"
    test_rows = {row for split, row in per_image if split == SPLIT_CODE["test"]}
    train_rows = {row for split, row in per_image if split == SPLIT_CODE["train"]}
    assert test_rows == set(range(N_ROWS["test"]))
    needed = probe_train_rows(
        labels["train"], int(probe["samples_per_label"]), int(probe["n_experiments"])
    )
    assert 0 < len(needed) < N_ROWS["train"]
    assert train_rows == needed
    assert len(seen) == N_ROWS["test"] + len(needed)
