"""tools/mutate.py: reading mutmut's output and telling equivalent survivors from missing tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "mutate.py"
_spec = importlib.util.spec_from_file_location("mutate_tool", TOOL)
mutate = importlib.util.module_from_spec(_spec)
sys.modules["mutate_tool"] = mutate  # dataclasses look their module up there
_spec.loader.exec_module(mutate)

DIFF = """--- pytest_mieb/results/gates.py
+++ pytest_mieb/results/gates.py
@@ -13,7 +13,7 @@
     for result in results:
-            continue
+            break
         per_metric = wanted
"""


def test_results_and_diffs_are_read_from_mutmut_output() -> None:
    text = "    pkg.mod.x_f__mutmut_1: survived\n    pkg.mod.x_g__mutmut_2: no tests\n\n"
    assert mutate.parse_results(text) == {
        "pkg.mod.x_f__mutmut_1": "survived",
        "pkg.mod.x_g__mutmut_2": "no tests",
    }
    assert mutate.changed_lines(DIFF) == (["continue"], ["break"])
    assert mutate.mutant_lines(DIFF) == ["break"]


def test_a_mutant_that_only_deletes_is_known_by_the_deleted_line() -> None:
    deletion = DIFF.replace("+            break\n", "")
    assert mutate.changed_lines(deletion) == (["continue"], [])
    assert mutate.mutant_lines(deletion) == ["continue"]


def test_survivors_are_equivalent_only_while_the_listed_change_still_matches() -> None:
    statuses = {
        "m.x_a__mutmut_1": "survived",
        "m.x_b__mutmut_1": "survived",
        "m.x_c__mutmut_1": "no tests",
        "m.x_d__mutmut_1": "killed",
        "m.x_e__mutmut_1": "not checked",
    }
    added = {"m.x_a__mutmut_1": ["break"], "m.x_b__mutmut_1": ["x = 2"], "m.x_c__mutmut_1": []}
    known = {
        "m.x_a__mutmut_1": mutate.Equivalent("m.x_a__mutmut_1", "break", "why"),
        "m.x_b__mutmut_1": mutate.Equivalent("m.x_b__mutmut_1", "x = 3", "renumbered"),
        "m.x_d__mutmut_1": mutate.Equivalent("m.x_d__mutmut_1", "y", "killed now"),
    }
    report = mutate.classify(statuses, added, known)
    assert report.equivalent == ["m.x_a__mutmut_1"]
    assert report.survivors == ["m.x_b__mutmut_1", "m.x_c__mutmut_1"]
    assert report.stale == ["m.x_b__mutmut_1", "m.x_d__mutmut_1"]
    assert report.unchecked == ["m.x_e__mutmut_1"]


def test_the_equivalents_file_reads_and_every_entry_has_a_reason(tmp_path: Path) -> None:
    entries = mutate.load_equivalents()
    assert all(e.reason.strip() and e.change.strip() for e in entries.values())
    bad = tmp_path / "eq.toml"
    bad.write_text('[[equivalent]]\nmutant = "m.x"\nchange = "y"\n', encoding="utf-8")
    with pytest.raises(SystemExit, match="lacks \\['reason'\\]"):
        mutate.load_equivalents(bad)


def test_the_mutmut_config_names_only_existing_files_and_tests() -> None:
    tomllib = mutate.tomllib
    root = TOOL.parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    for pattern in config["only_mutate"]:
        assert list(root.glob(pattern)), f"{pattern} matches no file"
    for path in config["pytest_add_cli_args_test_selection"]:
        assert (root / path).exists(), path


def test_killed_checks_import_the_mutated_copy_and_run_the_given_tests() -> None:
    command = mutate.check_command(["tests/a.py", "tests/b.py"])
    assert command[:3] == [sys.executable, "-P", "-m"]  # -P: not the checkout's package
    assert command[3:5] == ["pytest", "-x"] and command[-2:] == ["tests/a.py", "tests/b.py"]


def test_mutmut_is_found_beside_the_interpreter_before_path(tmp_path, monkeypatch) -> None:
    """`/path/venv/bin/python tools/mutate.py` works without activating the venv."""
    (tmp_path / "mutmut").write_text("#!/bin/sh\n")
    monkeypatch.setattr(mutate.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", "")
    assert mutate.mutmut_executable() == str(tmp_path / "mutmut")
    (tmp_path / "mutmut").unlink()
    assert mutate.mutmut_executable() is None
