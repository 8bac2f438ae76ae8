"""What the API models cost in this process: requests, inputs, images, tokens; the budget.

Counted per model name. The plugin reads `snapshot()` around each item and sends the
difference with the item's report, so the terminal summary adds up every xdist worker's
usage on the controller (`describe` writes the line). The request budget is charged before
every HTTP request, retries included: in memory for one process, or in the API cache's
database when several processes of one run share it (`settings.ApiSettings.run_id`).

Standard library only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields

from pytest_mieb.models.api.errors import ApiBudgetExceeded


@dataclass
class ModelUsage:
    requests: int = 0  # HTTP requests sent, retries included
    retries: int = 0  # of those, repeats after a rate limit, server or network error
    inputs: int = 0  # inputs the API embedded (in successful answers)
    images: int = 0  # images among them
    tokens: int = 0  # tokens the API reported as used (0 when it reports none)
    cached: int = 0  # inputs served from the API cache instead


_usage: dict[str, ModelUsage] = {}
_budget_used = 0

Counts = dict[str, dict[str, int]]


def of(model: str) -> ModelUsage:
    return _usage.setdefault(model, ModelUsage())


def reset() -> None:
    global _budget_used
    _usage.clear()
    _budget_used = 0


def snapshot() -> Counts:
    return {model: asdict(u) for model, u in _usage.items()}


def difference(after: Counts, before: Counts) -> Counts:
    """What happened between two snapshots (models with no change left out)."""
    out: Counts = {}
    for model, counts in after.items():
        old = before.get(model, {})
        diff = {k: v - old.get(k, 0) for k, v in counts.items()}
        if any(diff.values()):
            out[model] = diff
    return out


def add(total: Counts, more: Mapping[str, Mapping[str, int]]) -> None:
    for model, counts in more.items():
        mine = total.setdefault(model, dict.fromkeys((f.name for f in fields(ModelUsage)), 0))
        for key, value in counts.items():
            mine[key] = mine.get(key, 0) + int(value)


def describe(model: str, counts: Mapping[str, int]) -> str:
    """One summary line, e.g. ``M: 12 API requests (2 retries), 340 inputs embedded
    (120 images), 5321 tokens; 80 inputs from the API cache``."""
    parts = [f"{counts.get('requests', 0)} API requests"]
    if counts.get("retries"):
        parts[0] += f" ({counts['retries']} retries)"
    embedded = f"{counts.get('inputs', 0)} inputs embedded"
    if counts.get("images"):
        embedded += f" ({counts['images']} images)"
    parts.append(embedded)
    if counts.get("tokens"):
        parts.append(f"{counts['tokens']} tokens")
    line = f"{model}: " + ", ".join(parts)
    return line + f"; {counts.get('cached', 0)} inputs from the API cache"


def charge(max_requests: int | None, shared: Callable[[int], bool] | None = None) -> None:
    """Take one request from the budget, or raise `ApiBudgetExceeded` (nothing is sent).

    `shared(max_requests)` takes it from a budget other processes share, answering whether
    one was left."""
    global _budget_used
    if max_requests is None:
        return
    left = shared(max_requests) if shared is not None else _budget_used < max_requests
    if not left:
        raise ApiBudgetExceeded(
            f"the API request budget of {max_requests} requests is used up "
            "(--mieb-api-max-requests / MIEB_API_MAX_REQUESTS); the embeddings received so far "
            "are cached, so a rerun with a larger budget sends only the missing requests"
        )
    if shared is None:
        _budget_used += 1
