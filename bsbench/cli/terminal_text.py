"""Text from data (file names, clip ids, labels, plugin names) shown on a terminal as it is, and harmlessly.

A file name may hold an escape sequence (``\\x1b[31m``, ``\\x07``) that recolours, rings or
rewrites the user's terminal, bytes that are not UTF-8 (Python hands them over as lone
surrogates, which cannot even be encoded for printing), or text that rich would read as
markup (``[bold]x[/bold]``) or an emoji code (``:smile:``). The CLI prints every line
through a :class:`TerminalConsole`: control characters are shown as the escapes ``repr``
would write, and rich interprets nothing. Machine-readable output (JSON) does not come
here: ``json.dumps`` already escapes every control character, so it is printed verbatim.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rich.console import Console

#: Unicode categories that draw nothing a reader can see: controls, format characters (the
#: bidirectional overrides among them), line and paragraph separators, and lone surrogates.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
#: Hidden characters that are kept: line breaks and tabs lay out multi-line text and tables;
#: the zero-width (non-)joiners are part of emoji sequences and of several scripts' spelling.
_KEPT = frozenset("\n\t\u200c\u200d")
#: Everything but printable ASCII: the only characters worth a closer look (a fast path for long tables).
_SUSPECT = re.compile(r"[^\t\n\x20-\x7e]")


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    if char in _KEPT or unicodedata.category(char) not in _HIDDEN_CATEGORIES:
        return char
    return repr(char)[1:-1]


def safe_for_terminal(text: str, *, one_line: bool = False) -> str:
    """``text`` with every invisible character written as its ``repr`` escape (``\\x1b``, ``\\u202e``).

    Line breaks and tabs stay, since whole tables pass through here; with ``one_line`` a line
    break is escaped too (``\\n``), for messages that must stay one line whatever a name holds.
    The result is for reading, not for parsing back: use ``--json`` for the exact strings.
    """
    shown = _SUSPECT.sub(_shown, text)
    return shown.replace("\n", "\\n") if one_line else shown


class TerminalConsole(Console):
    """A rich console that prints strings from data safely: escaped, with no markup, emoji or highlighting.

    Every ``print`` goes through :func:`safe_for_terminal`, so a call that forgets to pass
    ``markup=False`` cannot let a file name reach the terminal as markup or escape codes.
    """

    def __init__(self, *, stderr: bool = False) -> None:
        super().__init__(stderr=stderr, markup=False, emoji=False, highlight=False, soft_wrap=True)

    def print(self, *objects: Any, **options: Any) -> None:
        shown = [safe_for_terminal(item) if isinstance(item, str) else item for item in objects]
        super().print(*shown, **{**options, "markup": False, "emoji": False, "highlight": False})
