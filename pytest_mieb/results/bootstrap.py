"""Percentile-bootstrap confidence intervals of a mean over items, for the significance mode
of the baseline gates (`pytest_mieb.results.gates`).

Per-item values are the vector whose mean is the metric (per test item correctness, per query
retrieval values, see the gates' docstring). A multi-subset task gives ``{subset: vector}``:
each subset is resampled on its own and the subset means are averaged, as the task score is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

PerItem = Any  # a 1-D sequence/array of floats, or {subset: 1-D sequence/array}


def _bootstrap_means(values: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``n`` resamples with replacement, drawn in chunks to bound memory."""
    import numpy as np

    size = values.shape[0]
    chunk = max(1, min(n, 2_000_000 // max(size, 1)))
    means = np.empty(n, dtype=np.float64)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        indices = rng.integers(0, size, size=(stop - start, size))
        means[start:stop] = values[indices].mean(axis=1)
    return means


def bootstrap_ci(
    per_item_values: PerItem,
    n: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Two-sided (1 - alpha) percentile-bootstrap interval of a mean over items.

    A mapping ``{subset: values}`` is resampled within each subset and the subset means are
    averaged (the task score of a multi-subset task). Deterministic for a given seed.
    """
    import numpy as np

    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    groups = (
        list(per_item_values.values())
        if isinstance(per_item_values, Mapping)
        else [per_item_values]
    )
    arrays = [np.asarray(group, dtype=np.float64).ravel() for group in groups]
    if not arrays or any(a.size == 0 for a in arrays):
        raise ValueError("bootstrap needs at least one value per group")
    if any(not np.isfinite(a).all() for a in arrays):
        raise ValueError("bootstrap values must be finite")
    rng = np.random.default_rng(seed)
    means = np.mean([_bootstrap_means(a, n, rng) for a in arrays], axis=0)
    low, high = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)
