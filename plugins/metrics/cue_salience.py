"""The paper's cue analysis: how each acoustic cue inside the salient windows differs from the whole clip.

For every cue, the standardised difference ``(mean inside - mean of clip) / SD of clip``
over the frames where the cue is defined (voiced frames for pitch cues: the reference
code averaged the zeros of unvoiced frames in). Positive: the model looks where the cue
is higher than usual. The value is NaN when fewer than ``min_frames`` defined frames lie
inside the windows or the cue is constant over the clip.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bsbench.protocols import Scores, ScoringBatch
from bsbench.salient_cues import differences_with_reasons
from bsbench.salient_windows import WINDOW_SECONDS


@dataclass(frozen=True)
class CueSalienceParameters:
    #: Fewer defined frames of a cue inside the salient windows leave its difference undefined.
    min_frames: int = 3


class CueSalienceMetric:
    name = "cue-salience"
    description = "Per cue: standardised difference between the salient windows and the whole clip (paper)."
    version = "0.2.0"
    higher_is_better = None
    requires = frozenset({"cues"})
    parameters = CueSalienceParameters

    def settings(self, params: CueSalienceParameters) -> dict[str, Any]:
        return {"min_frames": params.min_frames, "window_seconds": WINDOW_SECONDS, "top_windows": 5}

    def model_passes(self, params: Any, grid: Any) -> int:
        return 0

    def score(self, batch: ScoringBatch, params: CueSalienceParameters) -> Scores:
        assert batch.cue_tracks is not None  # the runner supplies cues to metrics that require them
        cues = sorted(batch.cue_tracks[0].tracks)
        values = {cue: np.full(len(batch.explanations), np.nan) for cue in cues}
        reasons = {cue: [""] * len(batch.explanations) for cue in cues}
        for i, (explanation, tracks) in enumerate(zip(batch.explanations, batch.cue_tracks, strict=True)):
            for cue, (difference, reason) in differences_with_reasons(explanation, tracks, params.min_frames).items():
                values[cue][i], reasons[cue][i] = difference, reason
        return Scores(values, reasons)
