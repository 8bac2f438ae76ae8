"""The two errors the data layer raises, so callers can tell data problems from bugs."""

from __future__ import annotations


class DataError(Exception):
    """A task's data cannot be had or does not look as the task expects.

    The message is one line that names the dataset and its pinned revision, says what is
    wrong (missing config, split or column; no mirror and no hub access; gated access) and,
    where there is one, the remedy.
    """


class CorruptImageError(DataError, ValueError):
    """One image cell cannot be decoded; the message names dataset, revision, split,
    column and row, so the row can be found (or listed in `drop_train_rows`)."""
