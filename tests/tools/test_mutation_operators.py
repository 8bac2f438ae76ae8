"""The mutation tool's operators (tools/mutation): which mutants a module gets, and that each
one is that single change."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from mutation.operators import check_round_trip, list_mutants, mutate
from mutation.targets import Equivalent

SOURCE = '''"""Module docstring."""
from __future__ import annotations
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy

Mode = Literal["a", "b"]


def f(x: int, flag: bool = True) -> int:
    """Docstring."""
    if x < 3 and not flag:
        return x + 1
    print(x)
    return -x
'''


def described(source: str) -> list[str]:
    return [m.description for m in list_mutants("m.py", source)]


def test_each_operator_gives_its_mutant_and_nothing_that_never_runs_is_mutated() -> None:
    assert described(SOURCE) == [
        "True  ->  False",
        "x < 3 and (not flag)  ->  x < 3 or not flag",
        "x < 3  ->  x <= 3",
        "x < 3  ->  x < 4",
        "not flag  ->  flag",
        "return x + 1  ->  return None",
        "x + 1  ->  x - 1",
        "x + 1  ->  x + 2",
        "print(x)  ->  pass",
        "return -x  ->  return None",
        "-x  ->  x",
    ]


def test_a_mutant_is_its_one_change_and_everything_else_stays() -> None:
    mutants = list_mutants("m.py", SOURCE)
    for mutant in mutants:
        mutated = ast.parse(mutate(SOURCE, mutant.index))
        original = ast.parse(SOURCE)
        assert ast.dump(mutated) != ast.dump(original)
        assert len(mutated.body) == len(original.body)
    changed = mutate(SOURCE, [m.after for m in mutants].index("x - 1"))
    assert "return x - 1" in changed and "return x + 1" not in changed
    assert "x < 3 and (not flag)" in changed or "x < 3 and not flag" in changed


def test_mutants_are_located_by_line_and_text() -> None:
    mutant = next(m for m in list_mutants("m.py", SOURCE) if m.after == "x <= 3")
    assert (mutant.where, mutant.source_line) == ("m.py:13", "if x < 3 and not flag:")
    entry = Equivalent("m.py", "if x < 3 and not flag:", "x < 3  ->  x <= 3", "why")
    assert entry.matches(mutant)
    assert not entry.matches(list_mutants("other.py", SOURCE)[mutant.index])


def test_numbers_strings_and_loop_jumps() -> None:
    source = "for i in range(2):\n    s = 'a' * 2.5 % 3\n    if i:\n        break\n    continue\n"
    assert described(source) == [
        "range(2)  ->  range(3)",
        "'a' * 2.5 % 3  ->  'a' * 2.5 / 3",
        "'a' * 2.5  ->  'a' / 2.5",
        "'a' * 2.5  ->  'XXaXX' * 2.5",
        "'a' * 2.5  ->  'a' * 3.5",
        "'a' * 2.5 % 3  ->  'a' * 2.5 % 4",
        "break  ->  continue",
        "continue  ->  break",
    ]


def test_equal_constants_on_one_line_read_apart() -> None:
    assert described("y = f(2, 2) + f(2, 2)\n") == [
        "f(2, 2) + f(2, 2)  ->  f(2, 2) - f(2, 2)",
        "f(2, 2)  ->  f(3, 2)",
        "f(2, 2)  ->  f(2, 3)",
        "f(2, 2)  ->  f(3, 2)  #2",
        "f(2, 2)  ->  f(2, 3)  #2",
    ]


def test_asking_for_a_mutant_that_does_not_exist_fails() -> None:
    with pytest.raises(IndexError):
        mutate("x = 1\n", 1)


def test_the_targets_of_the_project_round_trip_through_unparse() -> None:
    root = Path(__file__).resolve().parents[2]
    for path in sorted(root.glob("pytest_mieb/**/*.py")):
        assert check_round_trip(path.read_text(encoding="utf-8")), path
