"""Figures (matplotlib, no global pyplot state): one explained clip, cue profiles across a run, metrics by method.

Every figure is a :class:`matplotlib.figure.Figure` built without ``pyplot``, so
drawing never needs a display or touches another figure; :func:`save_figure` writes
it as PNG and PDF. Every string that comes from data (clip ids, file names, labels,
plugin and cue names) is drawn through :func:`literal`.
"""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.figure import Figure

from bsbench.core.cache import write_atomic

FORMATS = ("png", "pdf")
DPI = 150


def literal(text: str) -> str:
    """``text`` as matplotlib draws it verbatim: every ``$`` escaped as ``\\$``.

    Matplotlib reads text between two ``$`` as mathtext, so a clip named ``cost_$5_$10`` is
    drawn wrongly or fails to parse and takes the whole figure down. With every ``$``
    escaped nothing is math (a ``\\$`` is drawn as ``$``, and a ``\\`` already in the text is
    kept). Escaping works for every kind of text (titles, tick labels, legend entries),
    where ``parse_math=False`` would have to be set on each one after it is created.
    """
    return text.replace("$", r"\$")


def save_figure(figure: Figure, stem: Path) -> list[Path]:
    """Write ``stem.png`` and ``stem.pdf``; the paths written."""
    written = []
    for extension in FORMATS:
        path = stem.with_suffix(f".{extension}")
        write_atomic(path, lambda temp, ext=extension: figure.savefig(temp, format=ext, dpi=DPI, bbox_inches="tight"))
        written.append(path)
    return written


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG bytes, for embedding in a report."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()
