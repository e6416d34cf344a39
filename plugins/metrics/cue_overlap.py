"""The reference code's earlier evaluation: overlap of the salient windows with "expert" windows per cue.

Kept for parity with the paper's repository, which described it only in words ("the
windows with highest cue value for angry/fear/happy, lowest for sad/neutral", scored as
Similarity Score, Mean Coverage Rate and Similar Interval Count). bsbench's precise
definition, which this module is the reference for:

- Tiling: the salient-window rule's tiles, i.e. the explanation's time axis on frames no
  finer than 10 ms cut into non-overlapping 150 ms windows from time 0, the last one
  clipped at the end of the input. Salient windows are the rule's top 5 of these tiles.
- Expert windows of a cue: the 5 tiles with the highest mean cue value when the
  *predicted* class is high-arousal (parameter ``high_arousal``, default angry, fear,
  happy, surprise) and the lowest otherwise. "Otherwise" covers sad and neutral as in the
  reference and also every other class (disgust, calm, boredom): their profiles point
  down or they are low-arousal, and a class list the user did not anticipate must still
  get a rule. A tile's mean uses the 10 ms cue frames whose centre lies in the tile and
  where the cue is defined (voiced frames for pitch cues); tiles with fewer than
  ``min_frames`` such frames are not ranked. Ties go to the earlier tile.
- ``<cue>:similarity``: tiles both salient and expert, divided by 5.
- ``<cue>:coverage``: share of the expert windows' defined cue frames that lie inside
  salient windows.
- ``<cue>:intervals``: number of salient windows that overlap an expert window in time.

Because both sets of windows are tiles of one tiling, ``intervals`` equals ``5 *
similarity`` and ``coverage`` differs from ``similarity`` only through how many defined
frames each expert tile holds; the three are reported because the reference reported
them. All are higher-is-better (more agreement with the expert windows). A cue defined in
fewer than 5 tiles, or a map without salient windows, gives NaN with the reason. Only the
cues the extractor provides are scored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from bsbench.plugin import (
    MIN_SALIENT_FRAMES,
    WINDOW_RULE,
    CueTracks,
    Explanation,
    Scores,
    ScoringBatch,
    UsageError,
    frames_inside,
    salient_windows,
    scores_per_clip,
    window_tiles,
)

SUB_SCORES = ("similarity", "coverage", "intervals")


@dataclass(frozen=True)
class CueOverlapParameters:
    #: Classes joined by '+' whose expert windows hold the highest cue values; all others, the lowest.
    #: ('+', not ',': commas separate the parameters of a ``--metric`` spec.)
    high_arousal: str = "angry+fear+happy+surprise"
    #: Defined cue frames a tile needs for its mean to be ranked.
    min_frames: int = MIN_SALIENT_FRAMES


class CueOverlapMetric:
    name = "cue-overlap"
    description = "Per cue: overlap of the salient windows with the 5 highest/lowest-cue windows (reference code)."
    version = "0.1.0"
    higher_is_better = True
    requires = frozenset({"cues"})
    parameters = CueOverlapParameters

    def settings(self, params: CueOverlapParameters) -> dict[str, Any]:
        high = _high_arousal(params)
        if not high:
            raise UsageError("metric cue-overlap: high_arousal names no class")
        return {
            "high_arousal": sorted(high),
            "min_frames": params.min_frames,
            **WINDOW_RULE.settings(),
        }

    def model_passes(self, params: Any, grid: Any) -> int:
        return 0

    def score(self, batch: ScoringBatch, params: CueOverlapParameters) -> Scores:
        assert batch.cue_tracks is not None  # the runner supplies cues to metrics that require them
        high = _high_arousal(params)
        cues = sorted({cue for tracks in batch.cue_tracks for cue in tracks.tracks})
        columns = [f"{cue}:{sub}" for cue in cues for sub in SUB_SCORES]
        all_tracks = batch.cue_tracks

        def score_clip(i: int) -> dict[str, tuple[float, str]]:
            highest = batch.model.labels[int(batch.targets[i])] in high
            scored = {}
            for cue in cues:
                scores, reason = overlap(batch.explanations[i], all_tracks[i], cue, highest, params.min_frames)
                scored.update({f"{cue}:{sub}": (scores.get(sub, math.nan), reason) for sub in SUB_SCORES})
            return scored

        return scores_per_clip(len(batch.explanations), columns, score_clip)


def _high_arousal(params: CueOverlapParameters) -> frozenset[str]:
    return frozenset(name.strip() for name in params.high_arousal.split("+") if name.strip())


def overlap(
    explanation: Explanation, tracks: CueTracks, cue: str, highest: bool, min_frames: int
) -> tuple[dict[str, float], str]:
    """Similarity, coverage and intervals of one cue for one map, or ``{}`` and why they are undefined."""
    if cue not in tracks.tracks:
        return {}, f"extractor {tracks.extractor or '?'} did not measure {cue} on this clip"
    salient = salient_windows(explanation)
    if not len(salient):
        return {}, "no salient windows: no window holds positive relevance above the map's mean"
    all_tiles = window_tiles(explanation)
    valid = tracks.valid_frames(cue)
    track = tracks.tracks[cue]
    tile_frames = [
        frames_inside(tile[None, :], tracks.n_frames, tracks.seconds_per_frame) & valid for tile in all_tiles
    ]
    ranked = [k for k, frames in enumerate(tile_frames) if frames.sum() >= min_frames]
    top = WINDOW_RULE.top
    if len(ranked) < top:
        return {}, (
            f"{cue} has {min_frames}+ defined frames in {len(ranked)} windows of {WINDOW_RULE.describe()}, "
            f"fewer than {top}"
        )
    means = np.array([track[tile_frames[k]].mean() for k in ranked])
    order = np.argsort(-means if highest else means, kind="stable")
    expert = sorted(ranked[j] for j in order[:top])
    tile_length = all_tiles[0, 1] - all_tiles[0, 0]
    salient_tiles = {round(start / tile_length) for start, _ in salient}
    expert_frames = np.logical_or.reduce([tile_frames[k] for k in expert])
    inside_salient = frames_inside(salient, tracks.n_frames, tracks.seconds_per_frame)
    touching = sum(any(start < all_tiles[k, 1] and all_tiles[k, 0] < end for k in expert) for start, end in salient)
    return {
        "similarity": len(salient_tiles & set(expert)) / top,
        "coverage": float((expert_frames & inside_salient).sum() / expert_frames.sum()),
        "intervals": float(touching),
    }, ""
