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

import pandas as pd
from tabulate import tabulate

from bsbench.errors import UsageError

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
}
_LATEX_PATTERN = re.compile("|".join(re.escape(special) for special in _LATEX_SPECIALS))


def latex_escape(text: str) -> str:
    """``text`` with every LaTeX special character (and the arrows tables use) written as LaTeX."""
    return _LATEX_PATTERN.sub(lambda match: _LATEX_SPECIALS[match.group()], text)


def render_table(frame: pd.DataFrame, fmt: str = "table", digits: int = 3, emphasis: pd.DataFrame | None = None) -> str:
    """Any result frame as text in one of FORMATS (JSON records carry null for NaN).

    ``emphasis`` (same shape and labels as ``frame``, booleans) marks cells to stand out:
    bold in Markdown, LaTeX and HTML, a trailing ``*`` in the terminal table.
    """
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if fmt == "json":
        records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        return json.dumps(records, indent=2)
    if fmt == "csv":
        return frame.to_csv(index=False)
    if fmt == "latex":
        return _latex(_texts(frame, digits), emphasis)
    if fmt == "html":
        return _html(_texts(frame, digits), emphasis)
    if frame.empty:
        return "(no results)"
    marks = {"markdown": "**{}**", "table": "{} *"}[fmt]
    shown = _emphasised(_texts(frame, digits), emphasis, lambda cell: marks.format(cell))
    style = "github" if fmt == "markdown" else "simple"
    return tabulate(shown, headers="keys", tablefmt=style, showindex=False, floatfmt=f".{digits}f")


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


def _latex(texts: pd.DataFrame, emphasis: pd.DataFrame | None) -> str:
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
