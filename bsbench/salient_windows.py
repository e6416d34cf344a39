"""The paper's rule for the most salient time windows of a relevance map.

Zero the map below its mean, cut time into non-overlapping windows of 10 frames
(150 ms on the reference grid), sum the relevance in each, keep the top 5. Unlike the
reference code, the last window is clipped at the end of the input instead of reaching
past it, and windows with no positive relevance are never "salient". The window is
150 ms on every grid, so a waveform model (one frame per sample) gets windows of the
same duration as a spectrogram model, not 10 samples.
"""

from __future__ import annotations

import numpy as np

from bsbench.types import Explanation

#: 10 frames of the reference grid's 15 ms hop.
WINDOW_SECONDS = 0.150
TOP_WINDOWS = 5


def salient_windows(
    explanation: Explanation, window_seconds: float = WINDOW_SECONDS, top: int = TOP_WINDOWS
) -> np.ndarray:
    """(start, end) in seconds of the ``top`` most relevant windows, in time order; shape (k, 2)."""
    window_frames = max(1, round(window_seconds / explanation.grid.seconds_per_frame))
    relevance = explanation.relevance
    thresholded = np.where(relevance > relevance.mean(), relevance, 0.0)
    per_frame = thresholded.sum(axis=0)
    n_frames = per_frame.shape[0]
    starts = np.arange(0, n_frames, window_frames)
    sums = np.add.reduceat(per_frame, starts)
    ranked = [i for i in np.argsort(-sums, kind="stable")[:top] if sums[i] > 0]
    seconds = explanation.grid.seconds_per_frame
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
