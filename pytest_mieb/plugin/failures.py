"""How a failed MIEB item reads: one line for the errors that explain themselves.

The known kinds (data, model loading, suite files, gates, unusable embeddings, result files,
API requests refused or over budget)
carry a message that names the task and the remedy; a traceback through the harness would
only bury it. Any other exception is a bug somewhere (in the model's code or ours), and its
traceback is how it is found, so pytest's own report stays.
"""

from __future__ import annotations


def clean_kinds() -> tuple[type[BaseException], ...]:
    """The exception types reported as one line (imported late: only failures need them)."""
    from pytest_mieb.data.errors import DataError
    from pytest_mieb.evaluators.base import EmbeddingError
    from pytest_mieb.models.api.errors import ApiRequestError
    from pytest_mieb.models.errors import ModelLoadError
    from pytest_mieb.results.files import ResultWriteError
    from pytest_mieb.run import GateFailure
    from pytest_mieb.tasks.suites import SuiteError

    return (
        DataError,
        ModelLoadError,
        SuiteError,
        GateFailure,
        EmbeddingError,
        ResultWriteError,
        ApiRequestError,
    )


def one_line(exc: BaseException) -> str | None:
    """``"<Type>: <message>"`` for a known kind, else None (keep pytest's report)."""
    if not isinstance(exc, clean_kinds()):
        return None
    return f"{type(exc).__name__}: {exc}"


class EarlyLoadFailure(Exception):
    """A model load that failed before the first item (`MiebState.preload`), as pytest
    reported it there: the first item that asks for the model shows this report."""

    def __init__(self, report: str) -> None:
        super().__init__(report)
        self.report = report


def early_load_failure(exc: Exception) -> Exception:
    """What the first item of a model whose early load failed raises: a known kind as it
    is (one line), anything else as pytest's full report of it, made now. Either way no
    frame of the failed load is kept: they may hold a half-loaded model."""
    if one_line(exc) is not None:
        return exc.with_traceback(None)
    import pytest

    report = str(pytest.ExceptionInfo.from_exception(exc).getrepr(style="long"))
    return EarlyLoadFailure(report)
