"""The paper's cue analysis for one explanation: each cue inside the salient windows against the whole clip.

For every cue, the standardised difference ``(mean inside - mean of clip) / SD of clip``
over the frames where the cue is defined (voiced frames for pitch cues: the reference
code averaged the zeros of unvoiced frames in). Positive: the model looks where the cue
is higher than usual. The cue metrics and ``bsbench explain`` share this one definition.
"""

from __future__ import annotations

from bsbench.core.types import CueTracks, Explanation
from bsbench.cues.windows import WINDOW_RULE, frames_inside, salient_windows

#: Defined frames a cue needs inside the salient windows for its difference to mean anything; the
#: default of the cue metrics' ``min_frames`` and what ``bsbench explain`` uses.
MIN_SALIENT_FRAMES = 3


def standardised_differences(explanation: Explanation, tracks: CueTracks, min_frames: int) -> dict[str, float]:
    """Cue -> standardised difference between the salient windows and the whole clip (NaN where undefined)."""
    return {cue: value for cue, (value, _) in differences_with_reasons(explanation, tracks, min_frames).items()}


def differences_with_reasons(
    explanation: Explanation, tracks: CueTracks, min_frames: int
) -> dict[str, tuple[float, str]]:
    """Cue -> (standardised difference, "") or (NaN, why it is undefined)."""
    windows = salient_windows(explanation)
    inside = frames_inside(windows, tracks.n_frames, tracks.seconds_per_frame)
    if tracks.n_frames * tracks.seconds_per_frame < WINDOW_RULE.window_seconds:
        short = f"clip shorter than one salient window ({WINDOW_RULE.describe()})"
        return {cue: (float("nan"), short) for cue in tracks.tracks}
    differences = {}
    for cue, track in tracks.tracks.items():
        valid = tracks.valid_frames(cue)
        whole, salient = track[valid], track[valid & inside]
        if salient.size < min_frames:
            where = "voiced " if cue in tracks.voiced_only else "defined "
            reason = f"{salient.size} {where}frames of {cue} inside the salient windows (fewer than {min_frames})"
            differences[cue] = (float("nan"), reason)
        elif whole.std() == 0:
            differences[cue] = (float("nan"), f"{cue} is constant over the clip")
        else:
            differences[cue] = (float((salient.mean() - whole.mean()) / whole.std()), "")
    return differences
