"""Errors of the API models, each a single line that says what happened and what to do.

`ApiRequestError` is one of the kinds a failed MIEB item reports as its message alone
(`pytest_mieb.plugin.failures`): a refused request, retries given up, the request budget used
up. Embeddings the API returned before the error are already in the API cache, so a rerun
pays only for what is still missing.
"""

from __future__ import annotations

from pytest_mieb.models.errors import ModelLoadError, short


class ApiRequestError(RuntimeError):
    """An embedding API did not give the embeddings (the message is one line)."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class ApiBudgetExceeded(ApiRequestError):
    """The session's request budget (`--mieb-api-max-requests`) is used up."""


def missing_key(model: str, provider_title: str, variables: tuple[str, ...]) -> ModelLoadError:
    names = " or ".join(variables)
    return ModelLoadError(
        f"model {model!r} calls the {provider_title} API and needs an API key: set {names} "
        "(nothing was sent)"
    )


def refused(provider_title: str, model: str, status: int, detail: str, key_hint: str) -> str:
    """The line for an answer that is not retried (4xx other than 408 / 429)."""
    hint = f"; check {key_hint}" if status in (401, 403) else ""
    return (
        f"{provider_title} API refused the request for {model}: HTTP {status}: "
        f"{short(detail) or 'no detail'}{hint} (not retried)"
    )
