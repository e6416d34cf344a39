"""Expert profile checks: directions for known emotions, each backed by a cited source.

That every column is a cue of the vocabulary is part of the profile protocol
(:func:`bsbench.registry.loader.protocol_violations`): checked at load and by ``metadata-complete``.
"""

from __future__ import annotations

from typing import Any

from bsbench.contracts.context import CheckContext
from bsbench.contracts.contract import Check, expect
from bsbench.corpus.labels import CANONICAL_LABELS
from bsbench.interfaces.protocols import ProfileCell


def cells_are_directions(plugin: Any, context: CheckContext) -> None:
    """Every cell is a ProfileCell of direction +1, -1, 0 or None (sources disagree)."""
    expect(plugin.cells, "expected at least one emotion row")
    for emotion, row in plugin.cells.items():
        for cue, cell in row.items():
            where = f"cell ({emotion}, {cue})"
            expect(isinstance(cell, ProfileCell), f"{where}: expected a ProfileCell, got {type(cell).__name__}")
            expect(
                cell.direction in (1, -1, 0, None),
                f"{where}: expected direction +1, -1, 0 or None, got {cell.direction!r}",
            )


def names_known_emotions(plugin: Any, context: CheckContext) -> None:
    """Rows are canonical emotion labels, so runs can look them up (columns are held to the vocabulary at load)."""
    emotions = sorted(set(plugin.cells) - set(CANONICAL_LABELS))
    expect(not emotions, f"expected canonical emotion labels ({', '.join(CANONICAL_LABELS)}); unknown: {emotions}")


def every_direction_is_cited(plugin: Any, context: CheckContext) -> None:
    """Every cell with a direction names at least one source, and every source named is in ``citations``."""
    citations = dict(plugin.citations)
    expect(citations, "expected at least one citation")
    for emotion, row in plugin.cells.items():
        for cue, cell in row.items():
            if cell.direction is not None:
                expect(cell.sources, f"cell ({emotion}, {cue}): expected a source for direction {cell.direction}")
            uncited = sorted(set(cell.sources) - set(citations))
            expect(not uncited, f"cell ({emotion}, {cue}): sources {uncited} are not in citations")


CHECKS = (
    Check("profile", "cells-are-directions", cells_are_directions),
    Check("profile", "names-known-emotions", names_known_emotions),
    Check("profile", "every-direction-is-cited", every_direction_is_cited),
)
