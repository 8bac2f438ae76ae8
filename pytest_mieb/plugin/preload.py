"""What runs before a session's first item: its libraries imported, its models loaded.

`MiebState.preload` uses these so that no task's time includes an import or a model load,
and so that the garbage collector does not walk torch's objects again and again meanwhile.
The evaluators' scientific libraries may instead be put off to the first forked encoding
(`pytest_mieb.spare_time`).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def garbage_collection_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def paused_then_frozen() -> Iterator[None]:
    """The collector paused, and what is alive at the end frozen before it resumes."""
    with garbage_collection_paused():
        yield
        keep_out_of_garbage_collection()


def keep_out_of_garbage_collection() -> None:
    """Move what is alive (imported libraries, loaded models: they live until the process
    ends) out of the cyclic collector's sight (`gc.freeze`). With torch and transformers
    imported, a full collection walks half a million objects (0.2-0.3 s on two cores);
    Python runs them as the heap grows and pytest twice at exit.

    No collection first: the imports leave about 12,000 unreachable objects, which free no
    measurable memory (RSS unchanged, RESULTS.md) but cost a full walk to find; they are
    frozen with the rest. Call it while the collector is still paused (`paused_then_frozen`):
    resumed first, the collector takes everything allocated during the pause for its
    youngest generation and walks it at the next allocation (0.26 s after the torch and
    transformers imports).
    """
    gc.freeze()


def import_evaluators(protocols: list[str]) -> None:
    """Import datasets, which every task's data loading needs, and the evaluators of these
    task protocols (not the libraries they import where they use them: `evaluator_libraries`).
    An import that fails is left for the items that need it to report: it fails those
    tasks, never the session."""
    from pytest_mieb.evaluators import get_evaluator

    with contextlib.suppress(Exception):
        import datasets  # noqa: F401
    for protocol in dict.fromkeys(protocols):
        with contextlib.suppress(Exception):
            get_evaluator(protocol)


def evaluator_libraries(protocols: list[str]) -> tuple[str, ...]:
    """The modules that these protocols' evaluators import only where they use them
    (scikit-learn and scipy: each evaluator module's `LIBRARIES`), each once; an evaluator
    that cannot be imported has none."""
    from pytest_mieb.evaluators import get_evaluator

    libraries: dict[str, None] = {}
    for protocol in dict.fromkeys(protocols):
        try:
            module = sys.modules[get_evaluator(protocol).__module__]
        except Exception:  # unknown, or not importable: its items report it
            continue
        libraries.update(dict.fromkeys(getattr(module, "LIBRARIES", ())))
    return tuple(libraries)


def import_libraries(names: tuple[str, ...]) -> None:
    """Import these modules; one that fails is left to the code that uses it to report."""
    for name in names:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
