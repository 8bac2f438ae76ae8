"""Write `pytest_mieb/models/mllm/instructions.json`: each MLLM recipe's instruction per MIEB
task and side, as mteb 2.26's wrappers choose them.

The source is the table computed by calling mteb's own code for every one of the 130 MIEB
tasks and every side mteb encodes (`benchmarks/mteb_reference/mllm_instruction_facts.json`, made
by calling mteb 2.26.24's `get_instruction` and the wrappers' own rules, columns `gme_system`,
`qwen3vl_system`, `vlm2vec_v2`). The output is keyed by recipe family, then task, then side
("query", "document", or "none" where mteb passes no prompt type); a visual STS aggregate is
also listed under the sub-task mteb encodes it with (its ``encoded_by``).

    python tools/gen_mllm_instructions.py benchmarks/mteb_reference/mllm_instruction_facts.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "pytest_mieb/models/mllm/instructions.json"
#: recipe family -> the source table's column.
COLUMNS = {"gme": "gme_system", "qwen3_vl_embedding": "qwen3vl_system", "vlm2vec_v2": "vlm2vec_v2"}


def table(source: dict) -> dict[str, dict[str, dict[str, str]]]:
    out: dict[str, dict[str, dict[str, str]]] = {family: {} for family in COLUMNS}
    for task in sorted(source):
        entry = source[task]
        for name in dict.fromkeys([task, entry.get("encoded_by") or task]):
            if name != task and name in source:
                continue  # a real task of that name has its own entry
            for family, column in COLUMNS.items():
                sides = {side: values[column] for side, values in entry["sides"].items()}
                out[family][name] = dict(sorted(sides.items()))
    return out


def main(argv: list[str]) -> int:
    source = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    text = json.dumps(table(source), indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(source)} tasks)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
