"""Tables as text: a terminal table, Markdown, CSV, JSON, a booktabs LaTeX table, or an HTML table.

Cells arrive as strings with a parallel mask of cells to emphasise (the best value of
a column); each format marks them its own way, and every string is escaped for the
format it goes into (LaTeX specials, HTML entities), since file names, labels and
plugin descriptions come from data.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from tabulate import tabulate

from bsbench.core.errors import UsageError

FORMATS = ("table", "markdown", "csv", "json", "latex", "html")

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "↑": r"$\uparrow$",
    "↓": r"$\downarrow$",
    "±": r"$\pm$",
    "°": r"$^{\circ}$",
    "†": r"$^{\dagger}$",
}
_LATEX_PATTERN = re.compile("|".join(re.escape(special) for special in _LATEX_SPECIALS))


def latex_escape(text: str) -> str:
    """``text`` with every LaTeX special character (and the arrows tables use) written as LaTeX."""
    return _LATEX_PATTERN.sub(lambda match: _LATEX_SPECIALS[match.group()], text)


def render_table(
    frame: pd.DataFrame,
    fmt: str = "table",
    digits: int = 3,
    emphasis: pd.DataFrame | None = None,
    notes: Sequence[str] = (),
) -> str:
    """Any result frame as text in one of FORMATS (JSON records carry null for NaN).

    ``emphasis`` (same shape and labels as ``frame``, booleans) marks cells to stand out:
    bold in Markdown, LaTeX and HTML, a trailing ``*`` in the terminal table. ``notes``
    are lines printed under the table (a legend): plain lines after a blank one, a
    footnote inside LaTeX's ``table`` environment, ``<p>`` elements after the HTML table;
    json and csv carry data only and leave them out.
    """
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if fmt == "json":
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        return json.dumps(records, indent=2)
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "latex":
        return _latex(_texts(frame, digits), emphasis, notes)
    if fmt == "html":
        return _html(_texts(frame, digits), emphasis) + "".join(
            f'\n<p class="note">{html.escape(n)}</p>' for n in notes
        )
    if frame.empty:
        return "(no results)"
    mark = _bold_markdown if fmt == "markdown" else _starred
    shown = _emphasised(_texts(frame, digits), emphasis, mark)
    style = "github" if fmt == "markdown" else "simple"
    text = tabulate(shown, headers="keys", tablefmt=style, showindex=False, floatfmt=f".{digits}f")
    return text + ("\n\n" + "\n".join(notes) if notes else "")


def records_text(
    records: Sequence[Mapping[str, Any]],
    as_json: bool,
    *,
    floatfmt: str = "g",
    missingval: str = "",
    maxcolwidths: Sequence[int | None] | None = None,
) -> str:
    """Row dicts as a command prints them: a JSON list, or a terminal table (no trailing newline).

    JSON is ``json.dumps(records, indent=2)``: None is null, and a NaN stays Python's bare
    ``NaN`` (which ``json.loads`` reads back), so rows must hold JSON-ready values. The table
    is tabulate's "simple" format headed by the keys (all rows' keys, first seen first), with
    floats as ``floatfmt``, None cells as ``missingval`` and each column wrapped at its width
    in ``maxcolwidths`` (None: unwrapped); no records give an empty string. The keyword
    options change only the table, their defaults being tabulate's own.
    """
    rows = list(records)
    if as_json:
        return json.dumps(rows, indent=2)
    widths = list(maxcolwidths) if maxcolwidths is not None else None
    return tabulate(
        rows, headers="keys", tablefmt="simple", floatfmt=floatfmt, missingval=missingval, maxcolwidths=widths
    )


def _bold_markdown(cell: str) -> str:
    return f"**{cell}**"


def _starred(cell: str) -> str:
    """A terminal cell marked with a star at the end of its first line (cells may hold two lines)."""
    first, newline, rest = cell.partition("\n")
    return f"{first} *{newline}{rest}"


def _texts(frame: pd.DataFrame, digits: int) -> pd.DataFrame:
    """Every cell as the string it prints as: floats with ``digits`` decimals, NaN as an empty cell."""

    def text(value: object) -> str:
        if isinstance(value, float):
            return "" if pd.isna(value) else f"{value:.{digits}f}"
        return str(value)

    return frame.apply(lambda column: column.map(text)) if not frame.empty else frame.astype(str)


def _emphasised(texts: pd.DataFrame, emphasis: pd.DataFrame | None, mark) -> pd.DataFrame:
    if emphasis is None:
        return texts
    marked = texts.copy()
    for column in emphasis.columns:
        chosen = emphasis[column].fillna(False).astype(bool)
        marked.loc[chosen, column] = texts.loc[chosen, column].map(mark)
    return marked


def _latex(texts: pd.DataFrame, emphasis: pd.DataFrame | None, notes: Sequence[str] = ()) -> str:
    """A ``table`` environment with a booktabs ``tabular``: paste it into a paper that loads booktabs."""
    escaped = texts.apply(lambda column: column.map(latex_escape)) if not texts.empty else texts
    body = _emphasised(escaped, emphasis, lambda cell: rf"\textbf{{{cell}}}")
    numeric = [bool(texts[c].str.match(r"^-?\d").all()) if not texts.empty else False for c in texts.columns]
    alignment = "".join("r" if is_number else "l" for is_number in numeric)
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\begin{{tabular}}{{{alignment}}}",
        r"\toprule",
        " & ".join(latex_escape(str(column)) for column in texts.columns) + r" \\",
        r"\midrule",
        *(" & ".join(row) + r" \\" for row in body.itertuples(index=False, name=None)),
        r"\bottomrule",
        r"\end{tabular}",
        *([r"\par\smallskip{\footnotesize", *(latex_escape(note) + r"\\" for note in notes), "}"] if notes else []),
        r"\end{table}",
    ]
    return "\n".join(lines)


def _html(texts: pd.DataFrame, emphasis: pd.DataFrame | None) -> str:
    """A ``<table>`` element; every header and cell is HTML-escaped before any markup is added."""
    escaped = texts.apply(lambda column: column.map(html.escape)) if not texts.empty else texts
    body = _emphasised(escaped, emphasis, lambda cell: f"<strong>{cell}</strong>")
    header = "".join(f"<th>{html.escape(str(column))}</th>" for column in texts.columns)
    rows = "\n".join(
        "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>"
        for row in body.itertuples(index=False, name=None)
    )
    return f'<table class="leaderboard">\n<thead><tr>{header}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>'
