"""Cue recovery on generated speech: does the most shifted cue in the salient windows carry the class?

The synthetic corpus knows which cues it shifted to make each class (the clip's
``ground_truth.carrying_cues``) and where (its evidence regions). An explanation that
points at the class evidence should select windows where one of those cues stands out,
the way the generator moved it. Per clip: among the cues this extractor measured with a
finite cue-salience difference ``d_c``, take the one with the largest ``|d_c|``; the
score is 1.0 when it is a carrying cue *and* ``d_c`` has the sign of the cue's true
shift inside the evidence (from the true cue tracks), 0.0 otherwise. The mean over clips
is the share of explanations whose most distinctive cue is a true one, moved the right way.

The sign matters in localised placement: windows *outside* the emotional segment isolate
the carrying cue too, below the clip mean instead of above it, and without the sign an
inverted map would score as well as the oracle (measured: both 1.0 on 12 clips). Where
the truth gives no sign (evidence covering the whole clip, so nothing inside differs
from the clip), only the cue is checked.

Every measured cue is a candidate, including cues the generator does not set by name
(an extractor's ``spectral_flux`` or ``intensity_db``): a map whose windows stand out
most in such a cue is scored 0 even though that cue may follow a carrying one (intensity
follows loudness). Chance level, for windows picked at random: the share of measured cues that carry the
class, ``1 / number of measured cues`` when one carrying cue is measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from bsbench.plugin import (
    MIN_SALIENT_FRAMES,
    WINDOW_RULE,
    Clip,
    CueTracks,
    Explanation,
    GroundTruth,
    Scores,
    ScoringBatch,
    frames_inside,
    scores_per_clip,
    standardised_differences,
)


@dataclass(frozen=True)
class CueRecoveryParameters:
    #: Fewer defined frames of a cue inside the salient windows leave its difference unmeasured.
    min_frames: int = MIN_SALIENT_FRAMES


class CueRecoveryMetric:
    name = "cue-recovery"
    description = "Share of clips whose most shifted cue in the salient windows is one the generator shifted."
    version = "0.2.0"
    higher_is_better = True
    requires = frozenset({"cues", "ground-truth"})
    parameters = CueRecoveryParameters

    def settings(self, params: CueRecoveryParameters) -> dict[str, Any]:
        return {"min_frames": params.min_frames, **WINDOW_RULE.settings()}

    def model_passes(self, params: Any, grid: Any) -> int:
        return 0

    def score(self, batch: ScoringBatch, params: CueRecoveryParameters) -> Scores:
        assert batch.cue_tracks is not None  # the runner supplies cues to metrics that require them
        tracks = batch.cue_tracks
        return scores_per_clip(
            len(batch.explanations),
            [""],
            lambda i: {"": recovery(batch.clips[i], batch.explanations[i], tracks[i], params.min_frames)},
        )


def recovery(clip: Clip, explanation: Explanation, tracks: CueTracks, min_frames: int) -> tuple[float, str]:
    """1.0 or 0.0 for one clip, or NaN and why."""
    truth = clip.ground_truth
    if truth is None:
        return math.nan, f"clip {clip.clip_id} has no ground truth (a recording, not generated speech)"
    if not truth.carrying_cues:
        return math.nan, f"no cue carries class {clip.label} in this clip (nothing was shifted from neutral)"
    extractor = tracks.extractor or "?"
    if not set(truth.carrying_cues) & set(tracks.tracks):
        missing = ", ".join(truth.carrying_cues)
        return math.nan, f"extractor {extractor} measures none of the carrying cues of {clip.label} ({missing})"
    differences = {
        cue: value
        for cue, value in standardised_differences(explanation, tracks, min_frames).items()
        if math.isfinite(value)
    }
    if not differences:
        return math.nan, (
            f"no cue measurable in the salient windows (fewer than {min_frames} defined frames inside, "
            "or constant over the clip)"
        )
    top = max(sorted(differences), key=lambda cue: abs(differences[cue]))
    if top not in truth.carrying_cues:
        return 0.0, ""
    expected = true_shift_sign(truth, top)
    return (1.0 if expected == 0 or np.sign(differences[top]) == expected else 0.0), ""


def true_shift_sign(truth: GroundTruth, cue: str) -> int:
    """+1 / -1: how the generator moved ``cue`` inside the evidence relative to the clip; 0 when undefined."""
    tracks = truth.cue_tracks
    if cue not in tracks.tracks or not truth.evidence:
        return 0
    spans = np.array([[start, end] for start, end, _, _ in truth.evidence])
    inside = frames_inside(spans, tracks.n_frames, tracks.seconds_per_frame)
    valid = tracks.valid_frames(cue)
    if not (valid & inside).any() or (valid & inside).sum() == valid.sum():
        return 0
    track = tracks.tracks[cue]
    return int(np.sign(track[valid & inside].mean() - track[valid].mean()))
