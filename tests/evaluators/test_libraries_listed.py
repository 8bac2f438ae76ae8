"""Each evaluator lists every scientific library it (or a module it uses) imports where it is
used, so that the session's early import of `LIBRARIES` leaves no import to a task."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_mieb.plugin.preload import evaluator_libraries
from pytest_mieb.tasks.protocols import PROTOCOLS

PACKAGE = Path(importlib.import_module("pytest_mieb").__file__).parent
LAZY_ROOTS = ("sklearn", "scipy")


def module_path(name: str) -> Path:
    return PACKAGE.parent.joinpath(*name.split(".")).with_suffix(".py")


def imports(name: str) -> tuple[set[str], set[str]]:
    """(pytest_mieb modules imported at the top of module `name`, scientific modules its
    functions import)."""
    tree = ast.parse(module_path(name).read_text(encoding="utf-8"))
    top: set[str] = set()
    lazy: set[str] = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for imported in names:
            if node in tree.body and imported.startswith("pytest_mieb."):
                top.add(imported)
            elif node not in tree.body and imported.split(".")[0] in LAZY_ROOTS:
                lazy.add(imported)
            elif node in tree.body:
                assert imported.split(".")[0] not in LAZY_ROOTS, f"{name} imports {imported}"
    return top, lazy


def lazy_imports_reached(name: str) -> set[str]:
    """The scientific modules imported where used by `name` and by the project modules it
    imports, transitively."""
    seen: set[str] = set()
    todo = [name]
    found: set[str] = set()
    while todo:
        current = todo.pop()
        if current in seen or not module_path(current).exists():
            continue
        seen.add(current)
        top, lazy = imports(current)
        found |= lazy
        todo.extend(top)
    return found


@pytest.mark.parametrize("protocol", sorted(PROTOCOLS))
def test_the_listed_libraries_cover_every_import_made_where_used(protocol: str) -> None:
    module = PROTOCOLS[protocol].evaluator.partition(":")[0]
    assert lazy_imports_reached(module) <= set(evaluator_libraries([protocol]))


def test_importing_the_evaluators_imports_no_scientific_library() -> None:
    modules = sorted({entry.evaluator.partition(":")[0] for entry in PROTOCOLS.values()})
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(LAZY_ROOTS)!r}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
