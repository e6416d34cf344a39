"""``arousal-basics``: the loudness and pitch directions that most studies agree on, with their sources."""

from __future__ import annotations

from typing import ClassVar

from bsbench.plugin import ProfileCell, hookimpl

SOURCES = ("banse-scherer-1996", "juslin-laukka-2003")


class ArousalBasicsProfile:
    name = "arousal-basics"
    description = "High-arousal emotions raise intensity and pitch, sadness lowers both (relative to neutral)."
    version = "0.1.0"
    citations: ClassVar[dict[str, str]] = {
        "banse-scherer-1996": "Banse, R. & Scherer, K. R. (1996). Acoustic profiles in vocal emotion expression. "
        "Journal of Personality and Social Psychology, 70(3), 614-636.",
        "juslin-laukka-2003": "Juslin, P. N. & Laukka, P. (2003). Communication of emotions in vocal expression and "
        "music performance: Different channels, same code? Psychological Bulletin, 129(5), 770-814.",
    }
    cells: ClassVar[dict[str, dict[str, ProfileCell]]] = {
        emotion: {cue: ProfileCell(direction, SOURCES) for cue in ("intensity_db", "pitch_level")}
        for emotion, direction in (("angry", 1), ("happy", 1), ("sad", -1))
    }


@hookimpl
def bsbench_register_expert_profiles(register):
    register(ArousalBasicsProfile())
