"""Scoring a cue extractor against the true cue tracks of a corpus that knows them.

A plausibility score is only as good as the cues it reads, so extractors are checked
where the answer is known. Two views per cue both sides provide:

- within clips, frame by frame: the median absolute F0 error in percent for
  ``pitch_level`` (over frames both call voiced), the median per-clip Pearson r for
  the other cues (over frames where both are defined; clips whose true track is
  constant have no r);
- between clips: Spearman rank correlation of clip means, which is what a cue
  difference between emotions rests on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from bsbench.core.errors import DataError
from bsbench.core.types import Clip, CueTracks
from bsbench.interfaces.protocols import CueExtractorPlugin

COLUMNS = ["cue", "clips", "frames", "within_clip_measure", "within_clip", "between_clip_spearman"]


def cue_accuracy(
    extractor: CueExtractorPlugin, clips: Sequence[Clip], advance: Callable[[], None] = lambda: None
) -> pd.DataFrame:
    """One row per cue shared by ``extractor`` and the ground truth, plus a voicing row.

    ``advance`` is called after each clip is extracted (a progress bar's hook).
    """
    known = [clip for clip in clips if clip.ground_truth is not None]
    if not known:
        raise DataError("cue accuracy needs clips with ground truth (the synthetic dataset has them); none were given")
    pairs = []
    for clip in known:
        truth = clip.ground_truth.cue_tracks
        pairs.append((truth, aligned(extractor.extract(clip), truth)))
        advance()
    shared = [cue for cue in pairs[0][0].tracks if cue in extractor.cues]
    rows = [_voicing_row(pairs), *(_cue_row(cue, pairs) for cue in shared)]
    return pd.DataFrame(rows, columns=COLUMNS)


def aligned(tracks: CueTracks, reference: CueTracks) -> CueTracks:
    """``tracks`` resampled (nearest frame) onto ``reference``'s time grid."""
    times = np.arange(reference.n_frames) * reference.seconds_per_frame
    index = np.round(times / tracks.seconds_per_frame).astype(int)
    inside = index < tracks.n_frames
    index = np.minimum(index, tracks.n_frames - 1)

    def take(values: np.ndarray, fill: float | bool) -> np.ndarray:
        return np.where(inside, values[index], fill)

    return CueTracks(
        clip_id=tracks.clip_id,
        seconds_per_frame=reference.seconds_per_frame,
        tracks={cue: take(track, np.nan) for cue, track in tracks.tracks.items()},
        units=tracks.units,
        voiced=take(tracks.voiced, False).astype(bool),
        voiced_only=tracks.voiced_only,
        extractor=tracks.extractor,
    )


def _voicing_row(pairs: list[tuple[CueTracks, CueTracks]]) -> dict[str, object]:
    true_voiced = np.concatenate([truth.voiced for truth, _ in pairs])
    found = np.concatenate([measured.voiced for _, measured in pairs])
    recall = float((true_voiced & found).sum() / max(true_voiced.sum(), 1))
    return {
        "cue": "voicing",
        "clips": len(pairs),
        "frames": int(true_voiced.sum()),
        "within_clip_measure": "recall of voiced frames",
        "within_clip": recall,
        "between_clip_spearman": float("nan"),
    }


def _cue_row(cue: str, pairs: list[tuple[CueTracks, CueTracks]]) -> dict[str, object]:
    frames, per_clip, true_means, measured_means = 0, [], [], []
    for truth, measured in pairs:
        both = truth.valid_frames(cue) & measured.valid_frames(cue)
        if not both.any():
            continue
        true_values, measured_values = truth.tracks[cue][both], measured.tracks[cue][both]
        frames += int(both.sum())
        true_means.append(true_values.mean())
        measured_means.append(measured_values.mean())
        if cue == "pitch_level":
            # semitones -> F0 ratio: error in percent of the true F0
            per_clip.append(np.abs(2.0 ** ((measured_values - true_values) / 12.0) - 1.0) * 100.0)
        elif true_values.std() > 0 and measured_values.std() > 0 and both.sum() > 2:
            per_clip.append(np.corrcoef(true_values, measured_values)[0, 1])
    if cue == "pitch_level":
        measure = "median |F0 error| %"
        within = float(np.median(np.concatenate(per_clip))) if per_clip else float("nan")
    else:
        measure = "median per-clip Pearson r"
        within = float(np.median(per_clip)) if per_clip else float("nan")
    between = float("nan")
    if len(true_means) > 2:
        between = float(pd.Series(true_means).corr(pd.Series(measured_means), method="spearman"))
    return {
        "cue": cue,
        "clips": len(true_means),
        "frames": frames,
        "within_clip_measure": measure,
        "within_clip": within,
        "between_clip_spearman": between,
    }


def cue_agreement(
    first: Sequence[CueTracks], second: Sequence[CueTracks], cue: str, other: str | None = None
) -> tuple[float, float, int]:
    """How two extractors agree on a cue: (pooled r, median per-clip r, frames compared).

    Frames are those where both define the cue (voiced in both for voiced-only cues).
    Pearson r for the same cue; Spearman for two different cues (loudness against
    intensity in dB, one a power law of the other). Clips with fewer than 10 shared
    frames or a constant track are left out.
    """
    other = other or cue
    pooled_a, pooled_b, per_clip = [], [], []
    for a, b in zip(first, second, strict=True):
        n = min(a.n_frames, b.n_frames)
        both = a.valid_frames(cue)[:n] & b.valid_frames(other)[:n]
        x, y = a.tracks[cue][:n][both], b.tracks[other][:n][both]
        if x.size >= 10 and x.std() > 0 and y.std() > 0:
            per_clip.append(stats.spearmanr(x, y)[0] if other != cue else np.corrcoef(x, y)[0, 1])
            pooled_a.append(x)
            pooled_b.append(y)
    if not pooled_a:
        return float("nan"), float("nan"), 0
    x, y = np.concatenate(pooled_a), np.concatenate(pooled_b)
    pooled = stats.spearmanr(x, y)[0] if other != cue else np.corrcoef(x, y)[0, 1]
    return float(pooled), float(np.median(per_clip)), int(x.size)
