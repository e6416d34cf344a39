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
    kernel = np.ones(2 * (width // 2) + 1)
    count = np.convolve(finite.astype(float), kernel, "same")
    total = np.convolve(values, kernel, "same")
    squares = np.convolve(values**2, kernel, "same")
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = squares / count - (total / count) ** 2
    spread = np.sqrt(np.clip(variance, 0.0, None))
    spread[(count < 3) | ~finite] = np.nan
    return spread
