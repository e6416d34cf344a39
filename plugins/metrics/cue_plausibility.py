"""Plausibility to voice science: do the cues in the salient windows move the way experts expect?

For each clip, the cue-salience differences ``d_c`` (mean of cue ``c`` inside the salient
windows minus its clip mean, in clip SDs) are compared with the expert profile's row for
the class the model *predicted*, since the explanation explains that prediction:

    score = sum_c w_c * dir_c * tanh(d_c) / sum_c w_c,   in [-1, 1]

over the cues whose profile cell has a settled direction (+1 or -1) and whose difference
the extractor could measure. ``w_c`` is the number of sources the profile cites for the
cell (at least 1), so a direction two reviews agree on counts twice as much as one a
single summary table gives. Cells marked as disputed (direction None) are never scored: pretending they
are settled would reward or punish an explanation for a question the literature has not
answered. Cells of 0 (no change expected) are left out too, because a shift of either sign
would have to count against them and the score would then mix two different questions.

``tanh`` maps a difference onto (-1, 1) smoothly: a shift of 1 SD in the expected direction
counts 0.76, 2 SD count 0.96, so a cue far out in its tail cannot outvote several cues that
moved as expected, and small shifts (noise around 0) count little either way.
+1: every settled cue moved strongly the expected way; -1: every one moved against it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from bsbench.plugin import (
    MIN_SALIENT_FRAMES,
    REFERENCE_CLASS,
    WINDOW_RULE,
    CueTracks,
    Explanation,
    ProfilePlugin,
    Scores,
    ScoringBatch,
    scores_per_clip,
    standardised_differences,
)


@dataclass(frozen=True)
class CuePlausibilityParameters:
    #: The expert profile whose directions are expected (``bsbench list profiles``).
    profile: str = "consensus"
    #: Fewer defined frames of a cue inside the salient windows leave its difference unmeasured.
    min_frames: int = MIN_SALIENT_FRAMES


class CuePlausibilityMetric:
    name = "cue-plausibility"
    description = "Source-weighted agreement of the salient windows' cue shifts with the predicted class's profile."
    version = "0.1.0"
    higher_is_better = True
    requires = frozenset({"cues", "profile"})
    parameters = CuePlausibilityParameters

    def settings(self, params: CuePlausibilityParameters) -> dict[str, Any]:
        return {
            "profile": params.profile,
            "min_frames": params.min_frames,
            **WINDOW_RULE.settings(),
            "weights": "number of sources cited per profile cell",
        }

    def model_passes(self, params: Any, grid: Any) -> int:
        return 0

    def score(self, batch: ScoringBatch, params: CuePlausibilityParameters) -> Scores:
        assert batch.cue_tracks is not None and batch.profile is not None  # the runner supplies both
        tracks, profile = batch.cue_tracks, batch.profile

        def score_clip(i: int) -> dict[str, tuple[float, str]]:
            label = batch.model.labels[int(batch.targets[i])]
            return {"": plausibility(batch.explanations[i], tracks[i], profile, label, params.min_frames)}

        return scores_per_clip(len(batch.explanations), [""], score_clip)


def plausibility(
    explanation: Explanation, tracks: CueTracks, profile: ProfilePlugin, label: str, min_frames: int
) -> tuple[float, str]:
    """The score of one explanation of class ``label``, or NaN and why."""
    row = profile.cells.get(label)
    if row is None:
        note = " (the reference class)" if label == REFERENCE_CLASS else ""
        return math.nan, f"profile {profile.name} has no expectations for {label}{note}"
    settled = {cue: cell for cue, cell in row.items() if cell.direction in (1, -1)}
    if not settled:
        return math.nan, f"profile {profile.name} settles no cue direction for {label}"
    provided = sorted(set(settled) & set(tracks.tracks))
    if not provided:
        return math.nan, (
            f"extractor {tracks.extractor or '?'} measures none of the cues profile {profile.name} settles "
            f"for {label} ({', '.join(sorted(settled))})"
        )
    differences = standardised_differences(explanation, tracks, min_frames)
    measured = [cue for cue in provided if math.isfinite(differences[cue])]
    if not measured:
        return math.nan, (
            f"no settled cue for {label} measurable in the salient windows ({', '.join(provided)}: fewer than "
            f"{min_frames} defined frames inside, or constant over the clip)"
        )
    # a user's cell that cites no source is still an expectation: it counts as one source
    weights = np.array([max(1, len(settled[cue].sources)) for cue in measured], dtype=float)
    agreement = np.array([settled[cue].direction * math.tanh(differences[cue]) for cue in measured])
    return float(np.dot(weights, agreement) / weights.sum()), ""
