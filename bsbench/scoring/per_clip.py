"""The per-clip loop most metrics are: score each clip on its own, gather columns and reasons.

A metric that scores clips independently writes only ``score_clip(i)``, which returns, for clip
``i`` of the batch, ``{column: (value, reason)}``: a value with an empty reason, or NaN with the
reason it is undefined. :func:`scores_per_clip` builds the batch's :class:`Scores` from them, so
the NaN-needs-a-reason rule holds by construction.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from bsbench.interfaces.protocols import Scores

ClipScores = Mapping[str, tuple[float, str]]


def scores_per_clip(n_clips: int, columns: Sequence[str], score_clip: Callable[[int], ClipScores]) -> Scores:
    """``Scores`` with one value and reason per clip in each of ``columns`` (``""`` for a metric's
    single column).

    A column ``score_clip`` leaves out for a clip is NaN there, with the reason that it was not
    scored on that clip; a column outside ``columns`` is a defect of the metric (``KeyError``).
    """
    values = {column: np.full(n_clips, np.nan) for column in columns}
    reasons = {column: [""] * n_clips for column in columns}
    for i in range(n_clips):
        scored = score_clip(i)
        for column in columns:
            value, reason = scored.get(column, (math.nan, f"{column or 'score'} not measured on this clip"))
            values[column][i], reasons[column][i] = value, reason
        unknown = set(scored) - set(values)
        if unknown:
            raise KeyError(f"score_clip returned columns outside those declared: {sorted(unknown)}")
    return Scores(values, reasons)
