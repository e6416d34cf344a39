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

from dataclasses import dataclass

import numpy as np

from bsbench.core.types import Explanation

#: The coarsest frame a relevance map is pooled onto: the cue extractors' 10 ms grid.
POOLED_SECONDS = 0.010


@dataclass(frozen=True)
class WindowRule:
    """Which time windows of a map count as salient: one value, so every use agrees and is keyed.

    Every metric that reads salient windows puts :meth:`settings` into its own settings, so the
    cache key of its scores follows the rule: a changed rule recomputes them rather than serving
    scores made under the old one.
    """

    #: 10 frames of the reference grid's 15 ms hop.
    window_seconds: float = 0.150
    #: How many of the most relevant windows are salient.
    top: int = 5
    #: Relevance at or below this statistic of the map counts as zero (the paper's mean).
    threshold: str = "mean"

    def settings(self) -> dict[str, float | int | str]:
        """The rule as metric settings (manifests and cache keys)."""
        return {"window_seconds": self.window_seconds, "top_windows": self.top, "window_threshold": self.threshold}

    def describe(self) -> str:
        """The rule in words, e.g. for reasons: "150 ms"."""
        return f"{self.window_seconds * 1000:.0f} ms"


#: The paper's rule, used by every cue metric and by ``bsbench explain``.
WINDOW_RULE = WindowRule()


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


def window_starts(explanation: Explanation, rule: WindowRule = WINDOW_RULE) -> tuple[np.ndarray, int, float]:
    """The rule's window grid on a map's pooled time axis: first frame of each window (from time 0,
    non-overlapping, the last one clipped at the end), frames per window, and seconds per frame."""
    n_frames, seconds = _pooled_frames(explanation)
    window_frames = max(1, round(rule.window_seconds / seconds))
    return np.arange(0, n_frames, window_frames), window_frames, seconds


def window_tiles(explanation: Explanation, rule: WindowRule = WINDOW_RULE) -> np.ndarray:
    """(start, end) in seconds of every window of the rule's grid, in time order; shape (n, 2)."""
    starts, window_frames, seconds = window_starts(explanation, rule)
    n_frames = _pooled_frames(explanation)[0]
    return np.array(
        [(start * seconds, min(start + window_frames, n_frames) * seconds) for start in starts], dtype=float
    ).reshape(-1, 2)


def salient_windows(explanation: Explanation, rule: WindowRule = WINDOW_RULE) -> np.ndarray:
    """(start, end) in seconds of the rule's ``top`` most relevant windows, in time order; shape (k, 2)."""
    relevance, _ = relevance_over_time(explanation)
    if rule.threshold != "mean":
        raise ValueError(f"window rule threshold {rule.threshold!r}: only 'mean' is defined")
    thresholded = np.where(relevance > relevance.mean(), relevance, 0.0)
    per_frame = thresholded.sum(axis=0)
    starts, _, _ = window_starts(explanation, rule)
    sums = np.add.reduceat(per_frame, starts)
    ranked = sorted(i for i in np.argsort(-sums, kind="stable")[: rule.top] if sums[i] > 0)
    return window_tiles(explanation, rule)[ranked].reshape(-1, 2)


def _pooled_frames(explanation: Explanation) -> tuple[int, float]:
    """Frames and seconds per frame of the map's time axis after :func:`relevance_over_time`'s pooling."""
    seconds = explanation.grid.seconds_per_frame
    per_frame = round(POOLED_SECONDS / seconds)
    n_frames = explanation.relevance.shape[1]
    if per_frame <= 1:
        return n_frames, seconds
    return -(-n_frames // per_frame), seconds * per_frame


def frames_inside(windows: np.ndarray, n_frames: int, seconds_per_frame: float) -> np.ndarray:
    """Mask of the frames of another grid whose centre time falls inside any window."""
    times = np.arange(n_frames) * seconds_per_frame
    inside = np.zeros(n_frames, dtype=bool)
    for start, end in windows:
        inside |= (times >= start) & (times < end)
    return inside
