"""The mutation operators: small, plausible bugs made by rewriting one node of a module's AST.

Each mutant changes exactly one thing:

* comparison: ``<``/``<=``, ``>``/``>=``, ``==``/``!=``, ``is``/``is not``, ``in``/``not in``
  swapped (one per operator of a chain);
* arithmetic and bitwise operators (also in ``x op= y``): ``+``/``-``, ``*``/``/``,
  ``//`` -> ``/``, ``%`` -> ``/``, ``**`` -> ``*``, ``<<``/``>>``, ``&``/``|``, ``^`` -> ``&``;
* boolean ``and``/``or``; ``not x``, ``-x``, ``~x`` -> ``x``;
* constants: ``True``/``False``, a number n -> n + 1, a string s -> ``"XX" s "XX"``;
* ``return <value>`` -> ``return None``; a bare call statement dropped (``pass``);
  ``break``/``continue`` swapped.

Not mutated: docstrings, annotations (they are strings under ``from __future__ import
annotations``), ``Literal[...]`` types and ``if TYPE_CHECKING:`` blocks, none of which run.

Mutants are numbered in a fixed walk order, so `mutate(source, i)` rebuilds mutant i from the
source alone (in a worker, or later from a report).
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable
from dataclasses import dataclass, replace

_COMPARE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
_BINARY: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.Div,
    ast.Pow: ast.Mult,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
    ast.BitXor: ast.BitAnd,
}
_SHOWN = 70


@dataclass(frozen=True)
class Mutant:
    """One mutation of one module: where it is and what it changes."""

    path: str  # relative to the repository root
    index: int  # position in the module's walk
    line: int
    end_line: int
    source_line: str  # the stripped text of `line`, to recognise the mutant after edits
    before: str
    after: str

    @property
    def description(self) -> str:
        return f"{self.before}  ->  {self.after}"

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def _shown(node: ast.AST) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _variants(node: ast.AST) -> list[ast.AST]:
    """Every mutated copy of `node` (the node itself is left alone)."""
    out: list[ast.AST] = []
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in _COMPARE:
                new = copy.deepcopy(node)
                new.ops[i] = _COMPARE[type(op)]()
                out.append(new)
    elif isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BINARY:
        new = copy.deepcopy(node)
        new.op = _BINARY[type(node.op)]()
        out.append(new)
    elif isinstance(node, ast.BoolOp):
        new = copy.deepcopy(node)
        new.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        out.append(new)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub, ast.Invert)):
        out.append(copy.deepcopy(node.operand))
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            out.append(ast.Constant(not value))
        elif isinstance(value, (int, float)):
            out.append(ast.Constant(value + 1))
        elif isinstance(value, str):
            out.append(ast.Constant(f"XX{value}XX"))
    elif isinstance(node, ast.Return):
        if node.value is not None and not (
            isinstance(node.value, ast.Constant) and node.value.value is None
        ):
            out.append(ast.Return(value=ast.Constant(None)))
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        out.append(ast.Pass())
    elif isinstance(node, ast.Break):
        out.append(ast.Continue())
    elif isinstance(node, ast.Continue):
        out.append(ast.Break())
    return out


def _in_context(node: ast.AST, variant: ast.AST, parents: list[ast.AST]) -> tuple[ast.AST, ast.AST]:
    """A changed constant is shown inside the expression that holds it (``max_k + 2`` rather
    than ``2``), so that mutants of equal constants on one line read differently."""
    if (
        not isinstance(node, ast.Constant)
        or not parents
        or not isinstance(parents[0], (ast.expr, ast.keyword))
    ):
        return node, variant
    parent = parents[0]
    changed = copy.copy(parent)
    for name, value in ast.iter_fields(parent):
        if value is node:
            setattr(changed, name, variant)
        elif isinstance(value, list) and any(item is node for item in value):
            setattr(changed, name, [variant if item is node else item for item in value])
    return parent, changed


def _is_docstring(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


class _Walker(ast.NodeTransformer):
    """Numbers mutation points in visiting order; applies the one numbered `target`."""

    def __init__(self, target: int | None, found: Callable[[ast.AST, ast.AST], None]) -> None:
        self.target = target
        self.found = found
        self.count = 0
        self.applied = False
        self.parents: list[ast.AST] = []

    def visit(self, node: ast.AST) -> ast.AST:
        if self.applied:
            return node
        for variant in _variants(node):
            if self.count == self.target:
                self.applied = True
                return ast.copy_location(variant, node)
            if self.target is None:
                self.found(*_in_context(node, variant, self.parents[-1:]))
            self.count += 1
        self.parents.append(node)
        try:
            return super().visit(node)
        finally:
            self.parents.pop()

    def _body(self, node: ast.AST, fields: tuple[str, ...]) -> ast.AST:
        for name in fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                start = 1 if name == "body" and value and _is_docstring(value[0]) else 0
                kept = value[:start]
                for item in value[start:]:
                    new = self.visit(item)
                    kept.extend(new if isinstance(new, list) else [new])
                setattr(node, name, kept)
            elif isinstance(value, ast.AST):
                setattr(node, name, self.visit(value))
        return node

    def visit_Module(self, node: ast.Module) -> ast.AST:
        return self._body(node, ("body",))

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        return self._body(node, ("decorator_list", "bases", "keywords", "body"))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        return self._body(node, ("decorator_list", "args", "body"))  # not `returns`

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return node  # only an annotation lives here

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        return self._body(node, ("value",))

    def visit_If(self, node: ast.If) -> ast.AST:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return node
        return self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        target = node.value
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name == "Literal":
            return node  # a type: its strings never reach run time
        return self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        if _is_docstring(node):
            return node  # a string statement is a comment: nothing to mutate
        return self.generic_visit(node)


def list_mutants(path: str, source: str) -> list[Mutant]:
    """Every mutant of a module, in walk order (`Mutant.index` counts from 0)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found: list[Mutant] = []

    def record(node: ast.AST, variant: ast.AST) -> None:
        line = getattr(node, "lineno", 0)
        found.append(
            Mutant(
                path=path,
                index=len(found),
                line=line,
                end_line=getattr(node, "end_lineno", line) or line,
                source_line=lines[line - 1].strip() if line else "",
                before=_shown(node),
                after=_shown(variant),
            )
        )

    _Walker(None, record).visit(tree)
    return _numbered_repeats(found)


def _numbered_repeats(mutants: list[Mutant]) -> list[Mutant]:
    """Give the second and later of identical-looking mutants on one line a ``#n`` suffix."""
    seen: dict[tuple[int, str, str], int] = {}
    out = []
    for mutant in mutants:
        key = (mutant.line, mutant.before, mutant.after)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            mutant = replace(mutant, after=f"{mutant.after}  #{seen[key]}")
        out.append(mutant)
    return out


def mutate(source: str, index: int) -> str:
    """The module's source with mutant `index` applied (comments and layout are not kept)."""
    tree = ast.parse(source)
    walker = _Walker(index, lambda node, variant: None)
    tree = walker.visit(tree)
    if not walker.applied:
        raise IndexError(f"no mutant {index} in this module ({walker.count} mutants)")
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def check_round_trip(source: str) -> bool:
    """Whether unparsing the module gives back the same AST (mutants are written unparsed)."""
    tree = ast.parse(source)
    return ast.dump(ast.parse(ast.unparse(tree))) == ast.dump(tree)
