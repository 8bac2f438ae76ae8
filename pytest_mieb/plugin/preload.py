"""What runs before a session's first item: its libraries imported, its models loaded.

`MiebState.preload` uses these so that no task's time includes an import or a model load,
and so that the garbage collector does not walk torch's objects again and again meanwhile.
"""

from __future__ import annotations

import contextlib
import gc
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


def keep_out_of_garbage_collection() -> None:
    """Move what is alive (imported libraries, loaded models: they live until the process
    ends) out of the cyclic collector's sight (`gc.freeze`). With torch and transformers
    imported, a full collection walks half a million objects (0.2-0.3 s on two cores);
    Python runs them as the heap grows and pytest twice at exit.

    No collection first: the imports leave about 12,000 unreachable objects, which free no
    measurable memory (RSS unchanged, RESULTS.md) but cost a full walk to find; they are
    frozen with the rest.
    """
    gc.freeze()


def import_evaluators(protocols: list[str]) -> None:
    """Import the evaluators of these task protocols (scikit-learn with them) and datasets,
    which every task's data loading needs. An import that fails is left for the items that
    need it to report: it fails those tasks, never the session."""
    from pytest_mieb.evaluators import get_evaluator

    with contextlib.suppress(Exception):
        import datasets  # noqa: F401
    for protocol in dict.fromkeys(protocols):
        with contextlib.suppress(Exception):
            get_evaluator(protocol)
