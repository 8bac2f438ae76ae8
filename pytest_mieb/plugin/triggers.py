"""When a run asks for MIEB work besides `--mieb-model`, `--mieb-tasks` and `--mieb-benchmark`.

* A `-m` expression that names a MIEB marker (`pytest -m mieb_lite`): without the suites
  there is nothing for it to select. Markers the project declares itself in its ini file
  stay the project's (a project may have a `retrieval` marker of its own), except the
  `mieb*` ones.
* A `mieb_encoder` fixture defined by a conftest.py or plugin other than ours: the project
  hands in its own model, as a training job does.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterable
from typing import Any

#: What pytest's `-m` grammar calls an identifier (marker names, keyword argument names).
_IDENT = re.compile(r"[\w:+\-.\[\]\\/]+")
#: Keyword arguments after a marker name, `name(key=value, ...)` (pytest >= 8.3).
_KWARGS = re.compile(r"\(\s*[\w]+\s*=[^()]*\)")
_OPERATORS = frozenset({"and", "or", "not"})
#: More names than this and the expression is not evaluated, only searched for names.
_MAX_NAMES = 12

FIXTURE = "mieb_encoder"


def names_in(expression: str) -> set[str]:
    """The marker names an `-m` expression mentions (operators left out)."""
    return {token for token in _IDENT.findall(_KWARGS.sub("", expression or ""))} - _OPERATORS


def mieb_markers_named(
    expression: str, mieb_markers: Iterable[str], declared_by_project: Iterable[str]
) -> set[str]:
    """The MIEB markers `expression` asks for, less the project's own (bar `mieb*` ones).

    Asking for means that the marker can turn the expression true (`-m "mieb_lite or slow"`,
    `-m "mieb_local and zeroshot"`); `-m "not mieb"` names `mieb` only to leave it out.
    """
    theirs = {name for name in declared_by_project if not name.startswith("mieb")}
    named = names_in(expression) & (set(mieb_markers) - theirs)
    if not named:
        return set()
    compiled = _compile(expression)
    if compiled is None:  # not parsed here: pytest will say what is wrong with it
        return named
    tree, names = compiled
    return {name for name in named if _can_turn_true(tree, names, name)}


def _compile(expression: str) -> tuple[ast.expr, list[str]] | None:
    """The expression as a Python boolean expression over its names, and the names."""
    names: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in _OPERATORS:
            return token
        if token not in names:
            names.append(token)
        return f"_{names.index(token)}"

    text = _IDENT.sub(placeholder, _KWARGS.sub("", expression))
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    allowed = (ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.Name, ast.Load)
    if len(names) > _MAX_NAMES or not all(isinstance(n, allowed) for n in ast.walk(tree)):
        return None
    return tree, names


def _evaluate(node: ast.expr, values: dict[str, bool]) -> bool:
    if isinstance(node, ast.BoolOp):
        results = (_evaluate(v, values) for v in node.values)
        return all(results) if isinstance(node.op, ast.And) else any(results)
    if isinstance(node, ast.UnaryOp):
        return not _evaluate(node.operand, values)
    assert isinstance(node, ast.Name)
    return values[node.id]


def _can_turn_true(tree: ast.expr, names: list[str], name: str) -> bool:
    """Whether some choice of the other markers makes the expression true with `name` and
    false without it."""
    key = f"_{names.index(name)}"
    others = [f"_{i}" for i in range(len(names)) if f"_{i}" != key]
    for bits in itertools.product((False, True), repeat=len(others)):
        values = dict(zip(others, bits, strict=True))
        if _evaluate(tree, {**values, key: True}) and not _evaluate(tree, {**values, key: False}):
            return True
    return False


def declared_markers(ini_lines: Iterable[str]) -> set[str]:
    """Marker names from `markers` ini lines (``name: text`` or ``name(args): text``)."""
    return {line.split(":")[0].split("(")[0].strip() for line in ini_lines if line.strip()}


def defines_encoder_fixture(plugin: Any) -> bool:
    """Whether a plugin (a conftest module, a plugin module or object) defines `mieb_encoder`.

    By attribute name, as pytest registers fixtures; also a fixture renamed with
    ``@pytest.fixture(name="mieb_encoder")`` where the fixture object shows its name.
    """
    try:
        if callable(getattr(plugin, FIXTURE, None)):
            return True
        namespace = dict(getattr(plugin, "__dict__", {}))
    except Exception:  # a plugin object whose attributes misbehave defines nothing of ours
        return False
    return any(_fixture_name(value) == FIXTURE for value in namespace.values())


def _fixture_name(value: Any) -> str | None:
    marker = getattr(value, "_pytestfixturefunction", None)  # pytest < 8.4
    if marker is not None:
        return getattr(marker, "name", None)
    if type(value).__name__ == "FixtureFunctionDefinition":  # pytest >= 8.4
        return getattr(value, "name", None)
    return None


def encoder_overridden(plugins: Iterable[Any], ours: Any) -> bool:
    """Whether any registered plugin other than `ours` defines the `mieb_encoder` fixture."""
    return any(plugin is not ours and defines_encoder_fixture(plugin) for plugin in plugins)
