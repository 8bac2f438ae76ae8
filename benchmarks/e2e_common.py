"""Shared fixtures of the end-to-end speed comparison: a CIFAR10 mirror and a tiny CLIP.

Both sides of the comparison (pytest-mieb in the project venv, mteb in its own venv, see
`mteb_reference/run_mteb_cifar10.py`) build their inputs with these functions, so they
read byte-identical parquet files and the same weights. Only numpy, Pillow, datasets,
tokenizers, transformers and torch are imported here (no pytest_mieb, no mteb): the
module must import in either venv.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

CIFAR10_PATH = "mteb/cifar10"
#: The pinned revision of mteb/cifar10 in suites/mieb/*.toml (and in mteb 2.26's tasks).
CIFAR10_REVISION = "69a62dd171e24a133d193073e73fda4dbb823266"
CIFAR10_NAMES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
CIFAR10_TASKS = ("CIFAR10", "CIFAR10ZeroShot", "CIFAR10Clustering")
#: The marker pytest-mieb's data layer reads to know which revision a mirror holds.
REVISION_MARKER = ".mieb-revision"
IMAGE_SIDE = 32
BATCH_SIZE = 32

_PALETTE = np.array(
    [
        (200, 40, 40),
        (40, 160, 60),
        (40, 80, 210),
        (220, 190, 30),
        (150, 50, 170),
        (30, 180, 190),
        (230, 120, 30),
        (120, 120, 120),
        (240, 240, 240),
        (20, 20, 20),
    ],
    dtype=np.float32,
)


def cifar_like_image(label: int, rng: np.random.Generator) -> Image.Image:
    """A 32x32 RGB picture: noise, plus a blob whose colour and place follow the label,
    so that a random network still separates classes a little (non-trivial scores)."""
    pixels = rng.normal(110.0, 45.0, (IMAGE_SIDE, IMAGE_SIDE, 3)).astype(np.float32)
    yy, xx = np.mgrid[0:IMAGE_SIDE, 0:IMAGE_SIDE]
    cy = 8 + 16 * (label // 5) + rng.integers(-3, 4)
    cx = 4 + 6 * (label % 5) + rng.integers(-2, 3)
    radius = 6 + rng.integers(0, 3)
    blob = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2
    pixels[blob] = 0.3 * pixels[blob] + 0.7 * _PALETTE[label]
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def balanced_labels(n: int, rng: np.random.Generator) -> list[int]:
    labels = np.arange(n) % len(CIFAR10_NAMES)
    rng.shuffle(labels)
    return labels.tolist()


def write_cifar10_mirror(data_dir: Path, n_train: int, n_test: int, seed: int = 0) -> Path:
    """`data_dir/mteb/cifar10/` in the hub layout (img: Image, label: ClassLabel), marked
    with the pinned revision; rewritten only when absent or of another size."""
    from datasets import ClassLabel, Dataset, Features
    from datasets import Image as ImageFeature

    root = Path(data_dir) / CIFAR10_PATH
    sizes = {"train": n_train, "test": n_test}
    stamp = Path(data_dir) / ".e2e-cifar10.json"  # outside the repo folder: not a data file
    if stamp.is_file() and json.loads(stamp.read_text()) == {**sizes, "seed": seed}:
        return root
    features = Features({"img": ImageFeature(), "label": ClassLabel(names=list(CIFAR10_NAMES))})
    for offset, (split, n) in enumerate(sizes.items()):
        rng = np.random.default_rng([seed, offset])
        labels = balanced_labels(n, rng)
        images = [cifar_like_image(label, rng) for label in labels]
        path = root / "data" / f"{split}-00000-of-00001.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        table = Dataset.from_dict({"img": images, "label": labels}, features=features)
        table.to_parquet(str(path))
    (root / REVISION_MARKER).write_text(CIFAR10_REVISION + "\n", encoding="utf-8")
    stamp.write_text(json.dumps({**sizes, "seed": seed}))
    return root


# ---------------------------------------------------------------- the tiny CLIP

_SPECIAL = ("<pad>", "<unk>", "<s>", "</s>")
_WORDS = ("a", "an", "photo", "of", "the", ".", *CIFAR10_NAMES)


def tiny_clip_tokenizer(max_length: int = 32):
    """A word-level fast tokenizer covering the zero-shot prompts, built offline."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate((*_SPECIAL, *_WORDS))}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 2), ("</s>", 3)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        model_max_length=max_length,
    )


def write_tiny_clip(out_dir: Path, seed: int = 0) -> Path:
    """A randomly initialised transformers CLIP at 224 px (ViT patch 32, width 64, 2
    layers; text width 64, 2 layers) with its processor, saved to `out_dir`."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor

    out_dir = Path(out_dir)
    if (out_dir / "model.safetensors").is_file() and (out_dir / "tokenizer.json").is_file():
        return out_dir
    tokenizer = tiny_clip_tokenizer()
    common = dict(hidden_size=64, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4)
    config = CLIPConfig(
        text_config=dict(
            vocab_size=len(tokenizer),
            max_position_embeddings=32,
            bos_token_id=2,
            eos_token_id=3,
            pad_token_id=0,
            **common,
        ),
        vision_config=dict(image_size=224, patch_size=32, **common),
        projection_dim=64,
    )
    torch.manual_seed(seed)
    CLIPModel(config).save_pretrained(out_dir)
    processor = CLIPProcessor(
        image_processor=CLIPImageProcessor(
            size={"shortest_edge": 224}, crop_size={"height": 224, "width": 224}
        ),
        tokenizer=tokenizer,
    )
    processor.save_pretrained(out_dir)
    return out_dir


# ---------------------------------------------------------------- counting what is encoded


#: The module that defines transformers' CLIPModel.
CLIP_MODULE = "transformers.models.clip.modeling_clip"


class _AfterImport:
    """A meta path finder that calls `then(module)` once `name` has been imported."""

    def __init__(self, name: str, then: Callable[[Any], None]) -> None:
        self.name, self.then = name, then

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        import importlib.machinery

        if fullname != self.name:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _LoaderThen(spec.loader, self.then)
        return spec


class _LoaderThen:
    """`loader`, with `then(module)` after it has run the module."""

    def __init__(self, loader: Any, then: Callable[[Any], None]) -> None:
        self.loader, self.then = loader, then

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self.loader.exec_module(module)
        self.then(module)


class EncodeCounter:
    """Rows that reach the model's towers, counted under either harness the same way.

    It wraps `transformers.CLIPModel.get_image_features` / `get_text_features` (the class
    methods, so any wrapper that holds a CLIPModel is counted) and remembers a digest of
    every image row's pixels and every text row's token ids, so repeated encodes of one
    input show up as `images_encoded > unique_images`. It also adds up the seconds spent
    inside the towers (`tower_s`; the model's own work), and each mark remembers that sum,
    so a task's time splits into tower time and everything else (the harness's overhead).

    Forked children (pytest-mieb encodes in them on the CPU) start from zero and leave
    their counts in a file beside the stats file when they exit; the process that owns the
    counter adds them in before writing. `tower_s` is then the towers' time summed over the
    processes (CPU seconds), not wall time.
    """

    def __init__(self) -> None:
        self.images = 0
        self.texts = 0
        self.image_batches = 0
        self._image_digests: set[bytes] = set()
        self._text_digests: set[bytes] = set()
        self.extra: dict[str, object] = {}
        self.marks: list[tuple[str, float]] = []
        self.tower_s = 0.0
        #: label -> tower seconds so far, at each mark.
        self.tower_marks: dict[str, float] = {}
        self._path: str | None = None

    def mark(self, label: str) -> None:
        """Seconds since the driver launched this process ($E2E_LAUNCH_TIME), by label."""
        import os
        import time

        launched = float(os.environ.get("E2E_LAUNCH_TIME", "nan"))
        self.marks.append((label, round(time.time() - launched, 3)))
        self.tower_marks[label] = round(self.tower_s, 4)

    def _reset_in_child(self) -> None:
        """After a fork: count only this child's own rows, and leave them in a file at its exit."""
        from multiprocessing import util

        self.images = self.texts = self.image_batches = 0
        self._image_digests, self._text_digests = set(), set()
        self.tower_s = 0.0
        util.Finalize(None, self._write_child_counts, exitpriority=100)

    def _write_child_counts(self) -> None:
        import os

        if self._path is None or not (self.images or self.texts):
            return
        counts = {
            "images": self.images,
            "texts": self.texts,
            "image_batches": self.image_batches,
            "image_digests": sorted(d.hex() for d in self._image_digests),
            "text_digests": sorted(d.hex() for d in self._text_digests),
            "tower_s": self.tower_s,
        }
        child_path = Path(f"{self._path}.child-{os.getpid()}")
        child_path.write_text(json.dumps(counts), encoding="utf-8")

    def _add_child_counts(self) -> None:
        for child_path in sorted(Path(self._path).parent.glob(Path(self._path).name + ".child-*")):
            counts = json.loads(child_path.read_text(encoding="utf-8"))
            self.images += counts["images"]
            self.texts += counts["texts"]
            self.image_batches += counts["image_batches"]
            self._image_digests.update(bytes.fromhex(d) for d in counts["image_digests"])
            self._text_digests.update(bytes.fromhex(d) for d in counts["text_digests"])
            self.tower_s += counts["tower_s"]
            child_path.unlink()

    def summary(self) -> dict[str, object]:
        return {
            "images_encoded": self.images,
            "unique_images_encoded": len(self._image_digests),
            "image_batches": self.image_batches,
            "texts_encoded": self.texts,
            "unique_texts_encoded": len(self._text_digests),
            "marks": self.marks,
            "tower_s": round(self.tower_s, 3),
            "tower_marks": self.tower_marks,
            **self.extra,
        }

    def see_pixels(self, pixels) -> None:
        import hashlib

        rows = pixels.detach().to("cpu", copy=False)
        self.images += len(rows)
        self.image_batches += 1
        # A strided sample of each row is enough to tell images apart, and cheap.
        sample = rows[:, :, ::7, ::7].contiguous().numpy()
        self._image_digests.update(hashlib.sha1(row.tobytes()).digest() for row in sample)

    def see_tokens(self, input_ids, attention_mask=None) -> None:
        import hashlib

        ids = input_ids.detach().cpu()
        mask = None if attention_mask is None else attention_mask.detach().cpu().bool()
        self.texts += len(ids)
        for k, row in enumerate(ids):
            kept = row if mask is None else row[mask[k]]
            self._text_digests.add(hashlib.sha1(kept.numpy().tobytes()).digest())

    def install(self) -> EncodeCounter:
        """Count from now on. The towers are wrapped when transformers' CLIP module is
        imported (at once if it already is), so the counter leaves each harness's own
        import order as it is: importing transformers here would move its 3 s into the
        harness's start-up, before it could overlap it with anything."""
        import sys
        from multiprocessing import util

        # multiprocessing's children (after its own reset of their finalizers)
        util.register_after_fork(self, EncodeCounter._reset_in_child)
        module = sys.modules.get(CLIP_MODULE)
        if module is not None:
            self._wrap_towers(module.CLIPModel)
        else:
            sys.meta_path.insert(0, _AfterImport(CLIP_MODULE, self._wrap_towers_of))
        return self

    def _wrap_towers_of(self, module: Any) -> None:
        self._wrap_towers(module.CLIPModel)

    def _wrap_towers(self, cls: Any) -> None:
        import time

        image_method, text_method = cls.get_image_features, cls.get_text_features
        counter = self

        def get_image_features(model, *args, **kwargs):
            pixels = kwargs.get("pixel_values", args[0] if args else None)
            if pixels is not None:
                counter.see_pixels(pixels)
            start = time.perf_counter()
            try:
                return image_method(model, *args, **kwargs)
            finally:
                counter.tower_s += time.perf_counter() - start

        def get_text_features(model, *args, **kwargs):
            ids = kwargs.get("input_ids", args[0] if args else None)
            if ids is not None:
                counter.see_tokens(ids, kwargs.get("attention_mask"))
            start = time.perf_counter()
            try:
                return text_method(model, *args, **kwargs)
            finally:
                counter.tower_s += time.perf_counter() - start

        cls.get_image_features = get_image_features
        cls.get_text_features = get_text_features

    def write_at_exit(self, path: str | Path) -> EncodeCounter:
        """Write `summary()` as JSON when this process ends (not in forked workers)."""
        import atexit
        import os

        owner = os.getpid()
        self._path = str(path)

        def write() -> None:
            if os.getpid() == owner:
                self._add_child_counts()
                self.mark("interpreter_exit")
                Path(path).write_text(json.dumps(self.summary(), indent=1), encoding="utf-8")

        atexit.register(write)
        return self


# ---------------------------------------------------------------- timing whole processes


def offline_env(scratch: Path, **extra: str) -> dict[str, str]:
    """The environment of one timed run: hub offline, and a fresh datasets cache so that
    both harnesses pay the same parquet -> Arrow conversion."""
    import os

    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        HF_DATASETS_CACHE=str(scratch / "hf-datasets"),
        TOKENIZERS_PARALLELISM="false",
        PYTHONHASHSEED="0",
    )
    env.update(extra)
    return env


def timed_process(cmd: list[str], env: dict[str, str], cwd: Path) -> dict[str, object]:
    """Run `cmd` to completion: whole-process wall time (interpreter start to exit), CPU
    time of it and its children (DataLoader workers included; less disturbed than wall
    time by other load on a shared machine) and the combined output."""
    import resource
    import subprocess
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {**env, "E2E_LAUNCH_TIME": repr(time.time())}
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed with exit code {done.returncode}:\n{output[-4000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": seconds, "cpu_s": cpu, "output": output}


def fresh_dir(path: Path) -> Path:
    """An empty `path`: no saved result, datasets cache or stats of an earlier run."""
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


BENCH_DIR = Path(__file__).resolve().parent
E2E_CONFTEST = BENCH_DIR / "e2e_conftest.py"


def run_pytest_mieb(
    python: str,
    model_dir: Path,
    data_dir: Path,
    scratch: Path,
    workers: int | None = None,
    env_extra: dict[str, str] | None = None,
) -> dict[str, object]:
    """One timed `python -m pytest --mieb-...` run of the three CIFAR10 tasks in a fresh
    directory; returns wall and CPU seconds, the encode counts and the main scores."""
    import shutil

    fresh_dir(scratch)
    shutil.copyfile(E2E_CONFTEST, scratch / "conftest.py")
    stats = scratch / "encode-stats.json"
    results = scratch / "results"
    cmd = [
        python,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        f"--rootdir={scratch}",
        f"--mieb-model={model_dir}",
        f"--mieb-data-dir={data_dir}",
        f"--mieb-tasks={','.join(CIFAR10_TASKS)}",
        f"--mieb-results-dir={results}",
        f"--mieb-batch-size={BATCH_SIZE}",
        "--mieb-device=cpu",
    ]
    if workers is not None:
        cmd.append(f"--mieb-workers={workers}")
    env = offline_env(
        scratch, E2E_STATS_PATH=str(stats), E2E_BENCH_DIR=str(BENCH_DIR), **(env_extra or {})
    )
    timing = timed_process(cmd, env, scratch)
    counts = json.loads(stats.read_text(encoding="utf-8"))
    phases = phase_summary(float(timing["wall_s"]), counts.get("marks", []))
    return {**timing, **counts, "phases": phases, "main_scores": main_scores(results)}


def phase_summary(wall_s: float, marks: list[tuple[str, float]]) -> dict[str, float]:
    """Where the wall time went: process start -> harness ready (interpreter, imports),
    -> work done (models, data, encoding, scoring), -> process exit; plus each pytest
    item's own duration where the marks have them."""
    at = dict(marks)
    phases: dict[str, float] = {}
    if "harness_ready" in at and "work_done" in at:
        phases["startup_s"] = at["harness_ready"]
        phases["work_s"] = round(at["work_done"] - at["harness_ready"], 3)
        phases["exit_s"] = round(wall_s - at["work_done"], 3)
    if "interpreter_exit" in at and "work_done" in at:
        phases["teardown_s"] = round(at["interpreter_exit"] - at["work_done"], 3)
        phases["interpreter_shutdown_s"] = round(wall_s - at["interpreter_exit"], 3)
    for label, t in marks:
        if label.startswith("start ") and f"end {label[6:]}" in at:
            phases[f"item {label[6:]}"] = round(at[f"end {label[6:]}"] - t, 3)
    return phases


def main_scores(results_dir: Path, tasks: Iterable[str] = CIFAR10_TASKS) -> dict[str, float]:
    """task -> main_score from result files in mteb's layout (either harness), for `tasks`."""
    tasks = set(tasks)
    scores: dict[str, float] = {}
    for path in Path(results_dir).rglob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or data.get("task_name") not in tasks:
            continue
        values = [
            float(entry["main_score"])
            for split_scores in data.get("scores", {}).values()
            for entry in split_scores
        ]
        if values:  # the mean over subsets (one subset: its score)
            scores[data["task_name"]] = sum(values) / len(values)
    return scores
