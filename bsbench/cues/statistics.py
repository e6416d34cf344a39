"""Statistics over frame-wise cue tracks that more than one plugin needs to compute alike.

A cue extractor and the synthetic corpus's ground truth must define a derived cue
(pitch variability) the same way, or scoring one against the other measures the
definitions instead of the extractor.
"""

from __future__ import annotations

import numpy as np

#: Frames (10 ms each) over which pitch variability is measured: 250 ms.
VARIABILITY_FRAMES = 25


def local_spread(track: np.ndarray, width: int = VARIABILITY_FRAMES) -> np.ndarray:
    """SD of the finite values in a centred window of ``width`` frames (NaN where < 3 values or the frame is NaN)."""
    finite = np.isfinite(track)
    values = np.where(finite, track, 0.0)
    half = width // 2
    kernel = np.ones(2 * half + 1)

    def window_sums(series: np.ndarray) -> np.ndarray:
        # zero padding and a "valid" convolution keep the input's length even when it is shorter than the window
        return np.convolve(np.pad(series, half), kernel, "valid")

    count = window_sums(finite.astype(float))
    total = window_sums(values)
    squares = window_sums(values**2)
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = squares / count - (total / count) ** 2
    spread = np.sqrt(np.clip(variance, 0.0, None))
    spread[(count < 3) | ~finite] = np.nan
    return spread
