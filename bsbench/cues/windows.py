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
    scores made under the old one. Relevance at or below the map's mean counts as zero (the
    paper's threshold); the settings name it so a manifest states the whole rule.
    """

    #: 10 frames of the reference grid's 15 ms hop.
    window_seconds: float = 0.150
    #: How many of the most relevant windows are salient.
    top: int = 5

    def settings(self) -> dict[str, float | int | str]:
        """The rule as metric settings (manifests and cache keys)."""
        return {"window_seconds": self.window_seconds, "top_windows": self.top, "window_threshold": "mean"}

    def describe(self) -> str:
        """The rule in words, e.g. for reasons: "150 ms"."""
        return f"{self.window_seconds * 1000:.0f} ms"


#: The paper's rule, used by every cue metric and by ``bsbench explain``.
WINDOW_RULE = WindowRule()


def _pooling(explanation: Explanation) -> tuple[int, int, float]:
    """Map frames summed into one pooled frame, pooled frames, and seconds per pooled frame."""
    seconds = explanation.grid.seconds_per_frame
    per_frame = max(1, round(POOLED_SECONDS / seconds))
    return per_frame, -(-explanation.relevance.shape[1] // per_frame), seconds * per_frame


def relevance_over_time(explanation: Explanation) -> tuple[np.ndarray, float]:
    """The map on frames no finer than 10 ms, and the seconds per frame.

    Grids at 10 ms or coarser (a 15 ms log-mel) are returned as they are; finer ones
    (a waveform model's one frame per sample) are summed over 10 ms frames, the last
    frame holding what remains.
    """
    relevance = explanation.relevance
    per_frame, n_frames, seconds = _pooling(explanation)
    if per_frame == 1:
        return relevance, seconds
    padded = np.zeros((relevance.shape[0], n_frames * per_frame), dtype=relevance.dtype)
    padded[:, : relevance.shape[1]] = relevance
    return padded.reshape(relevance.shape[0], n_frames, per_frame).sum(axis=2), seconds


def _tiles(n_frames: int, seconds: float, rule: WindowRule) -> tuple[np.ndarray, np.ndarray]:
    """The rule's window grid on ``n_frames`` pooled frames: first frame of each window (from time 0,
    non-overlapping, the last one clipped at the end) and each window's (start, end) in seconds."""
    window_frames = max(1, round(rule.window_seconds / seconds))
    starts = np.arange(0, n_frames, window_frames)
    ends = np.minimum(starts + window_frames, n_frames)
    return starts, np.stack([starts * seconds, ends * seconds], axis=1).astype(float)


def window_tiles(explanation: Explanation, rule: WindowRule = WINDOW_RULE) -> np.ndarray:
    """(start, end) in seconds of every window of the rule's grid, in time order; shape (n, 2)."""
    _, n_frames, seconds = _pooling(explanation)
    return _tiles(n_frames, seconds, rule)[1]


def salient_windows(explanation: Explanation, rule: WindowRule = WINDOW_RULE) -> np.ndarray:
    """(start, end) in seconds of the rule's ``top`` most relevant windows, in time order; shape (k, 2)."""
    relevance, seconds = relevance_over_time(explanation)
    thresholded = np.where(relevance > relevance.mean(), relevance, 0.0)
    per_frame = thresholded.sum(axis=0)
    starts, tiles = _tiles(per_frame.shape[0], seconds, rule)
    sums = np.add.reduceat(per_frame, starts)
    ranked = sorted(i for i in np.argsort(-sums, kind="stable")[: rule.top] if sums[i] > 0)
    return tiles[ranked].reshape(-1, 2)


def frames_inside(windows: np.ndarray, n_frames: int, seconds_per_frame: float) -> np.ndarray:
    """Mask of the frames of another grid whose centre time falls inside any window."""
    times = np.arange(n_frames) * seconds_per_frame
    inside = np.zeros(n_frames, dtype=bool)
    for start, end in windows:
        inside |= (times >= start) & (times < end)
    return inside
