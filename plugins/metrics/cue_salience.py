"""The paper's cue analysis: how each acoustic cue inside the salient windows differs from the whole clip.

For every cue, the standardised difference ``(mean inside - mean of clip) / SD of clip``
over the frames where the cue is defined (voiced frames for pitch cues: the reference
code averaged the zeros of unvoiced frames in). Positive: the model looks where the cue
is higher than usual. The value is NaN when fewer than ``min_frames`` defined frames lie
inside the windows or the cue is constant over the clip.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from bsbench.protocols import ScoringBatch
from bsbench.salient_windows import WINDOW_SECONDS, frames_inside, salient_windows
from bsbench.types import CueTracks, Explanation


class CueSalienceMetric:
    name = "cue-salience"
    description = "Per cue: standardised difference between the salient windows and the whole clip (paper)."
    version = "0.1.0"
    higher_is_better = None
    requires = frozenset({"cues"})

    def __init__(self, min_frames: int = 3) -> None:
        self.settings = {"min_frames": min_frames, "window_seconds": WINDOW_SECONDS, "top_windows": 5}

    def score(self, batch: ScoringBatch) -> Mapping[str, np.ndarray]:
        assert batch.cue_tracks is not None  # the runner supplies cues to metrics that require them
        cues = sorted(batch.cue_tracks[0].tracks)
        values = {cue: np.full(len(batch.explanations), np.nan) for cue in cues}
        for i, (explanation, tracks) in enumerate(zip(batch.explanations, batch.cue_tracks, strict=True)):
            for cue, difference in standardised_differences(explanation, tracks, self.settings["min_frames"]).items():
                values[cue][i] = difference
        return values


def standardised_differences(explanation: Explanation, tracks: CueTracks, min_frames: int) -> dict[str, float]:
    windows = salient_windows(explanation)
    inside = frames_inside(windows, tracks.n_frames, tracks.seconds_per_frame)
    differences = {}
    for cue, track in tracks.tracks.items():
        valid = tracks.valid_frames(cue)
        whole, salient = track[valid], track[valid & inside]
        spread = whole.std() if whole.size else 0.0
        if salient.size < min_frames or spread == 0:
            differences[cue] = float("nan")
        else:
            differences[cue] = float((salient.mean() - whole.mean()) / spread)
    return differences
