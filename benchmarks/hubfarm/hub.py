"""Writing files in the Hugging Face Hub's repo layouts.

* parquet repos: `Repo.add(config, split, columns, features, path=...)` writes one split
  of one config as parquet shard(s) named like `push_to_hub` names them
  (`<dir>/<split>-00000-of-00001.parquet`), and `Repo.finish()` writes README.md with the
  YAML front matter the Hub reads: `configs:` (data_files per split) and `dataset_info:`
  (features and split sizes), as `push_to_hub` writes it.
* WebDataset repos: `write_webdataset` writes `<split>/<n>.tar` shards whose members are
  `<key>.<ext>` files, plus the clip-benchmark side files.
* every mirror gets the `.mieb-revision` marker pytest-mieb checks (`REVISION_MARKER`).
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REVISION_MARKER = ".mieb-revision"  # pytest_mieb.data.source.REVISION_MARKER
STAMP = ".hubfarm.json"


@dataclass
class _Split:
    name: str
    pattern: str
    rows: int
    nbytes: int
    files: list[str] = field(default_factory=list)


@dataclass
class _Config:
    name: str
    features: Any = None
    splits: list[_Split] = field(default_factory=list)


class Repo:
    """One mirror folder being filled: parquet splits, then README.md and the marker."""

    def __init__(self, root: Path, *, readme: bool = True) -> None:
        self.root = Path(root)
        self.readme = readme
        self._configs: dict[str, _Config] = {}

    def add(
        self,
        config: str,
        split: str,
        columns: Mapping[str, Sequence[Any]],
        features: Any,
        *,
        files: str | None = None,
        pattern: str | None = None,
        shards: int = 1,
    ) -> None:
        """Write `columns` as split `split` of config `config`.

        `files`: the file name stem relative to the repo, without the shard suffix
        (default `data/<split>`: the `push_to_hub` layout of a default config); shards are
        `<files>-0000i-of-0000n.parquet`, or exactly `<files>` when it ends in `.parquet`.
        `pattern`: the README `data_files` path (default `<files>-*`).
        """
        stem = files or f"data/{split}"
        table = arrow_table(columns, features)
        n = table.num_rows
        nbytes = 0
        written: list[str] = []
        if stem.endswith(".parquet"):
            targets = [(self.root / stem, 0, n)]
        else:
            shards = max(1, min(shards, n)) if n else 1
            bounds = [round(i * n / shards) for i in range(shards + 1)]
            targets = [
                (self.root / f"{stem}-{i:05d}-of-{shards:05d}.parquet", bounds[i], bounds[i + 1])
                for i in range(shards)
            ]
        for target, start, stop in targets:
            part = table.slice(start, stop - start)
            write_parquet(target, part, features)
            nbytes += part.nbytes
            written.append(target.relative_to(self.root).as_posix())
        cfg = self._configs.setdefault(config, _Config(config))
        cfg.features = features
        cfg.splits.append(_Split(split, pattern or f"{stem}-*", n, int(nbytes), written))

    def alias(self, config: str, split: str, pattern: str, features: Any) -> None:
        """A config split made of files already written (e.g. a `default` config over
        every per-language file): README entry only, sizes summed from those files."""
        from fnmatch import fnmatch

        rows = nbytes = 0
        for cfg in self._configs.values():
            for s in cfg.splits:
                if any(fnmatch(f, pattern) for f in s.files):
                    rows, nbytes = rows + s.rows, nbytes + s.nbytes
        cfg = self._configs.setdefault(config, _Config(config))
        cfg.features = features
        cfg.splits.append(_Split(split, pattern, rows, nbytes))

    def order_splits(self, order: Sequence[str]) -> None:
        """List splits in the README in this order (the card's order is the load order)."""
        rank = {name: i for i, name in enumerate(order)}
        for cfg in self._configs.values():
            cfg.splits.sort(key=lambda s: rank.get(s.name, len(rank)))

    def finish(self, revision: str, stamp: Mapping[str, Any]) -> Path:
        if self.readme and self._configs:
            (self.root / "README.md").write_text(self._card(), encoding="utf-8")
        mark(self.root, revision, stamp)
        return self.root

    def _card(self) -> str:
        import yaml

        infos, configs = [], []
        for cfg in self._configs.values():
            infos.append(
                {
                    "config_name": cfg.name,
                    "features": cfg.features._to_yaml_list(),
                    "splits": [
                        {"name": s.name, "num_bytes": s.nbytes, "num_examples": s.rows}
                        for s in cfg.splits
                    ],
                    "download_size": sum(s.nbytes for s in cfg.splits),
                    "dataset_size": sum(s.nbytes for s in cfg.splits),
                }
            )
            configs.append(
                {
                    "config_name": cfg.name,
                    "data_files": [{"split": s.name, "path": s.pattern} for s in cfg.splits],
                }
            )
        front = yaml.safe_dump(
            {"dataset_info": infos, "configs": configs}, sort_keys=False, allow_unicode=True
        )
        return f"---\n{front}---\n\nSynthetic mirror written by pytest-mieb's hubfarm.\n"


def arrow_table(columns: Mapping[str, Sequence[Any]], features: Any) -> Any:
    """`columns` encoded with `features` (an Arrow table whose schema metadata carries the
    features, as in the parquet files `datasets` writes)."""
    import pyarrow as pa

    missing = set(features) ^ set(columns)
    if missing:
        raise ValueError(f"columns and features differ on {sorted(missing)}")
    encoded = features.encode_batch({name: list(columns[name]) for name in features})
    return pa.Table.from_pydict(encoded, schema=features.arrow_schema)


def write_parquet(target: Path, table: Any, features: Any) -> None:
    """One parquet file as `Dataset.to_parquet` / `push_to_hub` write it: row groups of 100
    rows when the table holds images (datasets' writer batch size for media), else 1000."""
    import pyarrow.parquet as pq
    from datasets import Image

    def has_media(feature: Any) -> bool:
        if isinstance(feature, Image):
            return True
        if isinstance(feature, dict):
            return any(has_media(v) for v in feature.values())
        inner = getattr(feature, "feature", None)
        return inner is not None and has_media(inner)

    media = any(has_media(f) for f in features.values())
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, str(target), row_group_size=100 if media else 1000)


def write_webdataset(
    root: Path,
    splits: Mapping[str, Sequence[Mapping[str, bytes]]],
    *,
    min_shards: int = 3,
    shard_size: int = 64,
    key_format: str = "s{:07d}",
) -> None:
    """WebDataset shards `<split>/<i>.tar` (members `<key>.<ext>`) and `<split>/nshards.txt`.

    At least `min_shards` shards per split (as the real repos have): datasets picks the
    builder of a local folder by counting data file extensions, so one `.tar` next to
    `nshards.txt` would be read as a *text* dataset by both loaders.
    """
    for split, samples in splits.items():
        folder = root / split
        folder.mkdir(parents=True, exist_ok=True)
        n = len(samples)
        n_shards = min(n, max(min_shards, -(-n // shard_size))) or 1
        bounds = [round(i * n / n_shards) for i in range(n_shards + 1)]
        for shard in range(n_shards):
            with tarfile.open(folder / f"{shard}.tar", "w", format=tarfile.USTAR_FORMAT) as tar:
                for index in range(bounds[shard], bounds[shard + 1]):
                    key = key_format.format(index)
                    for ext, data in samples[index].items():
                        info = tarfile.TarInfo(f"{key}.{ext}")
                        info.size = len(data)
                        info.mtime = 0
                        tar.addfile(info, io.BytesIO(data))
        (folder / "nshards.txt").write_text(f"{n_shards}\n", encoding="utf-8")


def mark(root: Path, revision: str, stamp: Mapping[str, Any]) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / REVISION_MARKER).write_text(revision + "\n", encoding="utf-8")
    (root / STAMP).write_text(json.dumps(dict(stamp), sort_keys=True) + "\n", encoding="utf-8")


def is_current(root: Path, revision: str, stamp: Mapping[str, Any]) -> bool:
    """True when `root` holds a finished mirror of this revision written with `stamp`."""
    try:
        held = (root / REVISION_MARKER).read_text(encoding="utf-8").strip()
        written = json.loads((root / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return held == revision and written == json.loads(json.dumps(dict(stamp), sort_keys=True))


def fresh(root: Path) -> Path:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    return root
