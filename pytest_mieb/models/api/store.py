"""The API cache: every embedding an API returned, on disk, one row per input.

One SQLite database (`embeddings.sqlite3`) in the API cache directory, keyed by a digest of
everything that decides the answer (provider, model, request format, input type, output
dimension and dtype, the input's texts and image pixels: `pytest_mieb.models.api.requests`).
Rows are committed as soon as a request's answer arrives, so an interrupted run keeps what it
paid for, and a rerun (or another task with the same inputs) sends only what is missing.
SQLite's locking makes the file safe to share between xdist workers and concurrent runs; the
same database counts a request budget shared by the processes of one run.

Values are raw little-endian float32 bytes (no pickle). Standard library only.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

FILE_NAME = "embeddings.sqlite3"
_LOOKUP_CHUNK = 500  # below SQLite's limit on host parameters per statement
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS embeddings "
    "(key TEXT PRIMARY KEY, dim INTEGER NOT NULL, vector BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS budget (run TEXT PRIMARY KEY, used INTEGER NOT NULL)",
)


class ApiStore:
    """The database under `root`, opened on first use."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path = self.root / FILE_NAME
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            self.root.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path, timeout=120, isolation_level=None, check_same_thread=False
            )
            # WAL lets readers and one writer share the file; some file systems refuse it.
            with contextlib.suppress(sqlite3.DatabaseError):
                connection.execute("PRAGMA journal_mode=WAL")
            for statement in _SCHEMA:
                connection.execute(statement)
            self._connection = connection
        return self._connection

    def get_many(self, keys: Sequence[str]) -> dict[str, tuple[int, bytes]]:
        """{key: (dim, float32 bytes)} for the keys present."""
        found: dict[str, tuple[int, bytes]] = {}
        unique = list(dict.fromkeys(keys))
        with self._lock:
            db = self._db()
            for start in range(0, len(unique), _LOOKUP_CHUNK):
                chunk = unique[start : start + _LOOKUP_CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT key, dim, vector FROM embeddings WHERE key IN ({marks})", chunk
                )
                for key, dim, blob in rows:
                    if len(blob) == 4 * dim:  # a torn or foreign row is a miss
                        found[key] = (dim, bytes(blob))
        return found

    def put_many(self, rows: Iterable[tuple[str, int, bytes]]) -> None:
        """Store (key, dim, float32 bytes) rows in one transaction."""
        with self._lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "INSERT OR REPLACE INTO embeddings (key, dim, vector) VALUES (?, ?, ?)", rows
                )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def take_budget(self, run_id: str, max_requests: int) -> bool:
        """Count one request of run `run_id`; False (nothing counted) when none is left."""
        with self._lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("INSERT OR IGNORE INTO budget (run, used) VALUES (?, 0)", (run_id,))
                taken = db.execute(
                    "UPDATE budget SET used = used + 1 WHERE run = ? AND used < ?",
                    (run_id, max_requests),
                ).rowcount
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        return taken == 1

    def count(self) -> int:
        with self._lock:
            return int(self._db().execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


_stores: dict[Path, ApiStore] = {}


def store_at(root: Path) -> ApiStore:
    """One store per directory and process."""
    key = Path(root).expanduser().resolve()
    if key not in _stores:
        _stores[key] = ApiStore(key)
    return _stores[key]
