"""The leaderboard as one self-contained HTML page: inline CSS and an inline SVG bar chart of
the per-type means, no scripts, no CDN. Cells show ``round(100 * score, 2)``, like the text
formats of `pytest_mieb.results.render`.
"""

from __future__ import annotations

import html

from pytest_mieb.results.aggregate import Leaderboard
from pytest_mieb.results.render import cell_text, points, table_rows

_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
            "#ff9da7", "#9c755f", "#bab0ac")  # fmt: skip

_HTML_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.4rem; }
table { border-collapse: collapse; font-size: 0.85rem; margin-top: 1.5rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.5rem; }
th { background: #f4f4f4; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.summary td { font-weight: 600; background: #fafafa; }
tr.typemean td { background: #f0f5fb; }
.notes { color: #666; font-size: 0.85rem; }
"""


def _bar_chart_svg(board: Leaderboard) -> str:
    """Grouped horizontal bars: per-type means (and Mean (TaskType)) for every model."""
    groups = [("Mean (TaskType)", [m.mean_task_type for m in board.models])]
    groups += [(t, [m.type_means[t] for m in board.models]) for t in board.types]
    n_models = max(len(board.models), 1)
    bar, gap, label_width, plot_width = 14, 10, 230, 420
    group_height = n_models * bar + gap
    legend_height = 18 * n_models + 10
    height = len(groups) * group_height + legend_height + 20
    width = label_width + plot_width + 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="per-type means per model">'
    ]
    y = 10
    for name, values in groups:
        parts.append(
            f'<text x="{label_width - 8}" y="{y + group_height / 2}" text-anchor="end" '
            f'font-size="12" dominant-baseline="middle">{html.escape(name)}</text>'
        )
        for index, value in enumerate(values):
            top = y + index * bar
            shown = points(value)
            colour = _PALETTE[index % len(_PALETTE)]
            if shown is None:
                parts.append(
                    f'<text x="{label_width + 4}" y="{top + bar - 3}" font-size="10" '
                    f'fill="#888">n/a</text>'
                )
                continue
            length = max(0.0, min(shown, 100.0)) / 100 * plot_width
            parts.append(
                f'<rect x="{label_width}" y="{top}" width="{length:.1f}" height="{bar - 2}" '
                f'fill="{colour}"><title>{html.escape(board.models[index].label)}: '
                f"{shown:.2f}</title></rect>"
            )
            parts.append(
                f'<text x="{label_width + length + 4:.1f}" y="{top + bar - 3}" '
                f'font-size="10">{shown:.2f}</text>'
            )
        y += group_height
    y += 10
    for index, model in enumerate(board.models):
        colour = _PALETTE[index % len(_PALETTE)]
        parts.append(f'<rect x="{label_width}" y="{y}" width="12" height="12" fill="{colour}"/>')
        parts.append(
            f'<text x="{label_width + 18}" y="{y + 10}" font-size="12">'
            f"{html.escape(model.label)}</text>"
        )
        y += 18
    parts.append("</svg>")
    return "\n".join(parts)


def render_html(board: Leaderboard) -> str:
    """A self-contained page: inline CSS and an inline SVG chart, no scripts, no CDN."""
    header, rows = table_rows(board)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        css = "summary" if row[0] == "" else "typemean" if str(row[1]).startswith("Mean (") else ""
        cells = [f"<td>{html.escape(str(row[0]))}</td>", f"<td>{html.escape(str(row[1]))}</td>"]
        cells += [f'<td class="num">{html.escape(cell_text(c, "–"))}</td>' for c in row[2:]]
        body.append(f'<tr class="{css}">' + "".join(cells) + "</tr>")
    title = html.escape(f"{board.benchmark} leaderboard")
    notes = "".join(f"<p class='notes'>{html.escape(n)}</p>" for n in board.notes)
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{title}</title>\n<style>{_HTML_STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n<p>Scores are round(100 × score, 2); – means missing.</p>\n"
        f"{_bar_chart_svg(board)}\n<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + f"\n</tbody>\n</table>\n{notes}\n</body>\n</html>\n"
    )
