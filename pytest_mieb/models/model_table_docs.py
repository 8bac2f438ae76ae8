"""The README's table of published models, rendered from `published_models.toml`.

`tests/models/test_model_table.py` checks that the README holds exactly this table between its
markers; ``python -m pytest_mieb.models.model_table_docs README.md`` rewrites it there.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pytest_mieb.models.model_table import PublishedModel, published_models

START = "<!-- published-models:start (generated from published_models.toml) -->"
END = "<!-- published-models:end -->"
ADAPTERS = {
    "transformers": "transformers (`hf_dual`)",
    "open_clip": "open_clip",
    "e5v": "E5-V (`e5v`)",
    "mllm": "MLLM embedder (`mllm`)",
    "api": "embedding API (`api`)",
}


def _status(row: PublishedModel) -> str:
    if row.status == "parity-checked":
        return f"parity-checked (`{row.parity or row.family}`)"
    if row.status == "loads":
        return f"loads; {row.why}" if row.why else "loads"
    return f"not supported: {row.why}" if row.why else "not supported"


def _loads_as(row: PublishedModel) -> str:
    adapter = ADAPTERS.get(row.backend, f"`{row.backend}`") if row.backend else "—"
    return f"`{row.id}` → {adapter}" if row.backend else "—"


def readme_table() -> str:
    """The Markdown table, one row per published model, in the table file's order."""
    lines = [
        "| model | revision | loads as | recipe (reference code) | precision | takes | status |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in published_models().values():
        takes = " + ".join(sorted(row.modalities))
        cells = [
            row.id, f"`{row.revision[:10]}`", _loads_as(row), row.recipe, row.precision, takes,
            _status(row),
        ]  # fmt: skip
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def with_table(readme: str) -> str:
    """`readme` with the text between the markers replaced by `readme_table()`."""
    head, start, rest = readme.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise ValueError(f"the README lacks the markers {START!r} ... {END!r}")
    return f"{head}{START}\n{readme_table()}\n{END}{tail}"


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(with_table(path.read_text(encoding="utf-8")), encoding="utf-8")
