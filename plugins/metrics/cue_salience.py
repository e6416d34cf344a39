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

from bsbench.plugin import (
    MIN_SALIENT_FRAMES,
    WINDOW_RULE,
    Scores,
    ScoringBatch,
    differences_with_reasons,
    scores_per_clip,
)


@dataclass(frozen=True)
class CueSalienceParameters:
    #: Fewer defined frames of a cue inside the salient windows leave its difference undefined.
    min_frames: int = MIN_SALIENT_FRAMES


class CueSalienceMetric:
    name = "cue-salience"
    description = "Per cue: standardised difference between the salient windows and the whole clip (paper)."
    version = "0.2.0"
    higher_is_better = None
    requires = frozenset({"cues"})
    parameters = CueSalienceParameters

    def settings(self, params: CueSalienceParameters) -> dict[str, Any]:
        return {"min_frames": params.min_frames, **WINDOW_RULE.settings()}

    def model_passes(self, params: Any, grid: Any) -> int:
        return 0

    def score(self, batch: ScoringBatch, params: CueSalienceParameters) -> Scores:
        assert batch.cue_tracks is not None  # the runner supplies cues to metrics that require them
        cues = sorted(batch.cue_tracks[0].tracks)
        tracks = batch.cue_tracks
        return scores_per_clip(
            len(batch.explanations),
            cues,
            lambda i: differences_with_reasons(batch.explanations[i], tracks[i], params.min_frames),
        )
