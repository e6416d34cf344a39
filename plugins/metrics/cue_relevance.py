"""Which cues the relevance follows over time: Spearman correlation of relevance and each cue track.

The salient-window rule keeps only five windows and asks whether a cue is higher there;
this metric uses every frame. The map is summed over frequency (relevance in time,
:func:`relevance_over_time`) and read on the cue extractor's 10 ms grid, then ranked
against the cue over the frames where the cue is defined (voiced frames for pitch cues).
+1: the more relevant a moment, the higher the cue; -1: the lower. It is a signed
description, not a quality score, so it has no better direction.

Resampling onto the cue grid: cue frame ``j`` is centred at ``j * seconds_per_frame`` and
takes the relevance of the explanation frame that holds that instant (frame ``i`` of the
explanation covers ``[i, i + 1) * its seconds per frame``, as in the salient windows).
Reading the containing frame rather than interpolating invents no values between frames;
the ties it creates (a 15 ms frame covers one or two 10 ms frames) are what Spearman's
average ranks are for. Cue frames past the end of the explanation have no relevance and
are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from bsbench.plugin import CueTracks, Explanation, Scores, ScoringBatch, relevance_over_time, scores_per_clip


@dataclass(frozen=True)
class CueRelevanceParameters:
    #: Fewer frames where the cue is defined leave the correlation undefined.
    min_frames: int = 10


class CueRelevanceCorrelationMetric:
    name = "cue-relevance-correlation"
    description = "Per cue: Spearman correlation of relevance over time with the cue track (10 ms frames)."
    version = "0.1.0"
    higher_is_better = None
    requires = frozenset({"cues"})
    parameters = CueRelevanceParameters

    def settings(self, params: CueRelevanceParameters) -> dict[str, Any]:
        return {"min_frames": params.min_frames, "correlation": "spearman", "resampling": "containing frame"}

    def model_passes(self, params: Any, grid: Any) -> int:
        return 0

    def score(self, batch: ScoringBatch, params: CueRelevanceParameters) -> Scores:
        assert batch.cue_tracks is not None  # the runner supplies cues to metrics that require them
        cues = sorted({cue for tracks in batch.cue_tracks for cue in tracks.tracks})
        all_tracks = batch.cue_tracks

        def score_clip(i: int) -> dict[str, tuple[float, str]]:
            tracks = all_tracks[i]
            relevance, covered = relevance_on_cue_grid(batch.explanations[i], tracks.n_frames, tracks.seconds_per_frame)
            return {cue: _correlation(relevance, covered, tracks, cue, params.min_frames) for cue in cues}

        return scores_per_clip(len(batch.explanations), cues, score_clip)


def relevance_on_cue_grid(
    explanation: Explanation, n_frames: int, seconds_per_frame: float
) -> tuple[np.ndarray, np.ndarray]:
    """Relevance in time at each of ``n_frames`` cue frames, and which cue frames the explanation covers."""
    relevance, seconds = relevance_over_time(explanation)
    in_time = relevance.sum(axis=0)
    # rounding first keeps an instant on a frame boundary (3 x 10 ms = 2 x 15 ms) in the later frame
    source = np.floor(np.round(np.arange(n_frames) * seconds_per_frame / seconds, 9)).astype(int)
    covered = source < in_time.shape[0]
    resampled = np.zeros(n_frames, dtype=float)
    resampled[covered] = in_time[source[covered]]
    return resampled, covered


def _correlation(
    relevance: np.ndarray, covered: np.ndarray, tracks: CueTracks, cue: str, min_frames: int
) -> tuple[float, str]:
    if cue not in tracks.tracks:
        return math.nan, f"extractor {tracks.extractor or '?'} did not measure {cue} on this clip"
    valid = tracks.valid_frames(cue) & covered
    count = int(valid.sum())
    if count < min_frames:
        return math.nan, f"{cue} defined in {count} frames under the map, fewer than {min_frames}"
    cue_values, relevance_values = tracks.tracks[cue][valid], relevance[valid]
    if np.ptp(cue_values) == 0:
        return math.nan, f"{cue} is constant over its defined frames: nothing to rank"
    if np.ptp(relevance_values) == 0:
        return math.nan, f"relevance is constant over the frames where {cue} is defined: nothing to rank"
    return float(spearmanr(relevance_values, cue_values).statistic), ""
