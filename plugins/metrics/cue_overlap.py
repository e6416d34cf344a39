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

from bsbench.errors import UsageError
from bsbench.protocols import Scores, ScoringBatch
from bsbench.salient_windows import TOP_WINDOWS, WINDOW_SECONDS, frames_inside, relevance_over_time, salient_windows
from bsbench.types import CueTracks, Explanation

SUB_SCORES = ("similarity", "coverage", "intervals")


@dataclass(frozen=True)
class CueOverlapParameters:
    #: Classes joined by '+' whose expert windows hold the highest cue values; all others, the lowest.
    #: ('+', not ',': commas separate the parameters of a ``--metric`` spec.)
    high_arousal: str = "angry+fear+happy+surprise"
    #: Defined cue frames a tile needs for its mean to be ranked.
    min_frames: int = 3


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
            "window_seconds": WINDOW_SECONDS,
            "top_windows": TOP_WINDOWS,
        }

    def model_passes(self, params: Any, grid: Any) -> int:
        return 0

    def score(self, batch: ScoringBatch, params: CueOverlapParameters) -> Scores:
        assert batch.cue_tracks is not None  # the runner supplies cues to metrics that require them
        high = _high_arousal(params)
        cues = sorted({cue for tracks in batch.cue_tracks for cue in tracks.tracks})
        n = len(batch.explanations)
        columns = [f"{cue}:{sub}" for cue in cues for sub in SUB_SCORES]
        values = {column: np.full(n, np.nan) for column in columns}
        reasons = {column: [""] * n for column in columns}
        for i, (explanation, tracks, target) in enumerate(
            zip(batch.explanations, batch.cue_tracks, batch.targets, strict=True)
        ):
            highest = batch.model.labels[int(target)] in high
            for cue in cues:
                scores, reason = overlap(explanation, tracks, cue, highest, params.min_frames)
                for sub in SUB_SCORES:
                    values[f"{cue}:{sub}"][i] = scores.get(sub, math.nan)
                    reasons[f"{cue}:{sub}"][i] = reason
        return Scores(values, reasons)


def _high_arousal(params: CueOverlapParameters) -> frozenset[str]:
    return frozenset(name.strip() for name in params.high_arousal.split("+") if name.strip())


def tiles(explanation: Explanation) -> np.ndarray:
    """(start, end) seconds of every tile of the salient-window rule for this map; shape (tiles, 2).

    The same arithmetic as :func:`salient_windows`, so a salient window is exactly one tile.
    """
    relevance, seconds = relevance_over_time(explanation)
    n_frames = relevance.shape[1]
    window_frames = max(1, round(WINDOW_SECONDS / seconds))
    starts = np.arange(0, n_frames, window_frames)
    ends = np.minimum(starts + window_frames, n_frames)
    return np.stack([starts * seconds, ends * seconds], axis=1)


def overlap(
    explanation: Explanation, tracks: CueTracks, cue: str, highest: bool, min_frames: int
) -> tuple[dict[str, float], str]:
    """Similarity, coverage and intervals of one cue for one map, or ``{}`` and why they are undefined."""
    if cue not in tracks.tracks:
        return {}, f"extractor {tracks.extractor or '?'} did not measure {cue} on this clip"
    salient = salient_windows(explanation)
    if not len(salient):
        return {}, "no salient windows: no window holds positive relevance above the map's mean"
    all_tiles = tiles(explanation)
    valid = tracks.valid_frames(cue)
    track = tracks.tracks[cue]
    tile_frames = [
        frames_inside(tile[None, :], tracks.n_frames, tracks.seconds_per_frame) & valid for tile in all_tiles
    ]
    ranked = [k for k, frames in enumerate(tile_frames) if frames.sum() >= min_frames]
    if len(ranked) < TOP_WINDOWS:
        return {}, (
            f"{cue} has {min_frames}+ defined frames in {len(ranked)} windows of 150 ms, fewer than {TOP_WINDOWS}"
        )
    means = np.array([track[tile_frames[k]].mean() for k in ranked])
    order = np.argsort(-means if highest else means, kind="stable")
    expert = sorted(ranked[j] for j in order[:TOP_WINDOWS])
    tile_length = all_tiles[0, 1] - all_tiles[0, 0]
    salient_tiles = {round(start / tile_length) for start, _ in salient}
    expert_frames = np.logical_or.reduce([tile_frames[k] for k in expert])
    inside_salient = frames_inside(salient, tracks.n_frames, tracks.seconds_per_frame)
    touching = sum(any(start < all_tiles[k, 1] and all_tiles[k, 0] < end for k in expert) for start, end in salient)
    return {
        "similarity": len(salient_tiles & set(expert)) / TOP_WINDOWS,
        "coverage": float((expert_frames & inside_salient).sum() / expert_frames.sum()),
        "intervals": float(touching),
    }, ""
