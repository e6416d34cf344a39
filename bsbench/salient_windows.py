"""The paper's rule for the most salient time windows of a relevance map.

Zero the map below its mean, cut time into non-overlapping windows of 10 frames
(150 ms on the reference grid), sum the relevance in each, keep the top 5. Unlike the
reference code, the last window is clipped at the end of the input instead of reaching
past it, and windows with no positive relevance are never "salient". The window is
150 ms on every grid, so a waveform model (one frame per sample) gets windows of the
same duration as a spectrogram model, not 10 samples. A waveform model's relevance is
first summed onto the 10 ms grid of the cue extractors (:func:`relevance_over_time`):
the sign of single samples says little, their sum over 10 ms says where the evidence is.
"""

from __future__ import annotations

import numpy as np

from bsbench.types import Explanation

#: 10 frames of the reference grid's 15 ms hop.
WINDOW_SECONDS = 0.150
TOP_WINDOWS = 5
#: The coarsest frame a relevance map is pooled onto: the cue extractors' 10 ms grid.
POOLED_SECONDS = 0.010


def relevance_over_time(explanation: Explanation) -> tuple[np.ndarray, float]:
    """The map on frames no finer than 10 ms, and the seconds per frame.

    Grids at 10 ms or coarser (a 15 ms log-mel) are returned as they are; finer ones
    (a waveform model's one frame per sample) are summed over 10 ms frames, the last
    frame holding what remains.
    """
    relevance, seconds = explanation.relevance, explanation.grid.seconds_per_frame
    per_frame = round(POOLED_SECONDS / seconds)
    if per_frame <= 1:
        return relevance, seconds
    n_frames = -(-relevance.shape[1] // per_frame)
    padded = np.zeros((relevance.shape[0], n_frames * per_frame), dtype=relevance.dtype)
    padded[:, : relevance.shape[1]] = relevance
    return padded.reshape(relevance.shape[0], n_frames, per_frame).sum(axis=2), seconds * per_frame


def salient_windows(
    explanation: Explanation, window_seconds: float = WINDOW_SECONDS, top: int = TOP_WINDOWS
) -> np.ndarray:
    """(start, end) in seconds of the ``top`` most relevant windows, in time order; shape (k, 2)."""
    relevance, seconds = relevance_over_time(explanation)
    window_frames = max(1, round(window_seconds / seconds))
    thresholded = np.where(relevance > relevance.mean(), relevance, 0.0)
    per_frame = thresholded.sum(axis=0)
    n_frames = per_frame.shape[0]
    starts = np.arange(0, n_frames, window_frames)
    sums = np.add.reduceat(per_frame, starts)
    ranked = [i for i in np.argsort(-sums, kind="stable")[:top] if sums[i] > 0]
    chosen = sorted(starts[ranked])
    return np.array(
        [(start * seconds, min(start + window_frames, n_frames) * seconds) for start in chosen], dtype=float
    ).reshape(-1, 2)


def frames_inside(windows: np.ndarray, n_frames: int, seconds_per_frame: float) -> np.ndarray:
    """Mask of the frames of another grid whose centre time falls inside any window."""
    times = np.arange(n_frames) * seconds_per_frame
    inside = np.zeros(n_frames, dtype=bool)
    for start, end in windows:
        inside |= (times >= start) & (times < end)
    return inside
