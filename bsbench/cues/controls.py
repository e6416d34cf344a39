"""Matched control windows: where the same change is made when it is *not* made where the map points.

A cue intervention inside the salient windows says little alone: lowering the pitch of any
150 ms of an angry clip may cost the class something. Its control is the same change in the
same number of windows of the same length drawn elsewhere in the clip, so the score is the
salient windows' effect *beyond* what the change does anywhere. Windows come from the window
rule's own grid (:func:`bsbench.cues.windows.window_tiles`), so a control is as long as the
salient window it stands for. A window counts for a cue only where the cue is defined in at
least ``min_frames`` of its frames: voiced frames for a voiced-only cue (shifting the pitch of
a pause changes nothing, and would make every control look harmless), the clip's frames for
the others (the padding a front end adds past the end of a short clip is never a control).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bsbench.core.types import CueTracks, Explanation
from bsbench.cues.windows import WINDOW_RULE, frames_inside, salient_windows, window_tiles
from bsbench.interfaces.vocabulary import VOICED_ONLY_CUES


@dataclass(frozen=True)
class CueWindows:
    """The windows one cue is changed in for one explanation: salient ones, and the matched draws."""

    #: (k, 2) seconds: the salient windows where the cue is defined.
    salient: np.ndarray
    #: One (k, 2) array per control draw, each of windows outside the salient ones.
    controls: tuple[np.ndarray, ...]
    #: Why the cue cannot be tested here ("" when it can).
    reason: str = ""


def defined_frames(tracks: CueTracks, cue: str) -> np.ndarray:
    """Frames of ``tracks`` where ``cue`` is defined: its own track when measured, else voicing or the clip."""
    if cue in tracks.tracks:
        return tracks.valid_frames(cue)
    if cue in VOICED_ONLY_CUES:
        return tracks.voiced.astype(bool)
    return np.ones(tracks.n_frames, dtype=bool)


def cue_windows(
    explanation: Explanation,
    tracks: CueTracks,
    cue: str,
    draws: int,
    rng: np.random.Generator,
    min_frames: int,
) -> CueWindows:
    """The salient windows where ``cue`` is defined and ``draws`` matched sets of control windows.

    Each control set holds as many windows as there are usable salient ones, drawn without
    replacement from the usable windows of the rule's grid that are not salient and have the
    grid's full length (the last window, clipped at the end of the input, is never a control).
    """
    tiles = window_tiles(explanation, WINDOW_RULE)
    salient = salient_windows(explanation, WINDOW_RULE)
    defined = defined_frames(tracks, cue)
    inside = [frames_inside(tile[None], tracks.n_frames, tracks.seconds_per_frame) for tile in tiles]
    counts = np.array([np.count_nonzero(defined & frames) for frames in inside])
    usable = counts >= min_frames
    is_salient = np.isin(tiles[:, 0], salient[:, 0])
    lengths = tiles[:, 1] - tiles[:, 0]
    whole = np.isclose(lengths, lengths.max())  # the grid's last window may be clipped short
    chosen, elsewhere = tiles[usable & is_salient], tiles[usable & ~is_salient & whole]
    where = "voiced frames" if cue in VOICED_ONLY_CUES else "frames"
    empty = np.empty((0, 2))
    if not len(salient):
        return CueWindows(empty, (), "no salient windows (the map has no relevance above its mean)")
    if not len(chosen):
        return CueWindows(empty, (), f"no salient window holds {min_frames} {where} of {cue}")
    if len(elsewhere) < len(chosen):
        return CueWindows(
            chosen,
            (),
            f"{len(elsewhere)} window(s) outside the salient ones hold {min_frames} {where} of {cue}; "
            f"{len(chosen)} needed for a matched control",
        )
    controls = tuple(elsewhere[np.sort(rng.choice(len(elsewhere), len(chosen), replace=False))] for _ in range(draws))
    return CueWindows(chosen, controls)
