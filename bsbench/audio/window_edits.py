"""Changing a waveform inside chosen time windows only, with short cross-fades, the rest untouched.

A causal test of an explanation's cue story changes a cue inside the salient windows and
nowhere else. The change here is applied to a whole-clip edited copy of the signal, and the
output is the original outside the windows, the edit inside them, and a raised-cosine blend
over a short fade at each window edge (inside the window), so no click is added and every
sample beyond a window stays bit for bit the original. Windows are typed as ``start-end`` spans
in seconds (``0.45-0.60,1.05-1.20``) and refused with one line when they are empty, overlap or
leave the clip.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from bsbench.core.errors import UsageError

#: Length of the raised-cosine blend at each window edge; kept inside the window.
FADE_SECONDS = 0.010


def parse_windows(text: str, duration: float, option: str = "--windows") -> np.ndarray:
    """``"0.45-0.60,1.05-1.20"`` -> ``[[0.45, 0.60], [1.05, 1.20]]`` in time order, checked against ``duration``."""
    spans = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        start_text, sep, end_text = item.partition("-")
        try:
            start, end = float(start_text), float(end_text)
        except ValueError:
            raise UsageError(f"{option} {item!r}: expected start-end in seconds, e.g. 0.45-0.60") from None
        if not sep or not np.isfinite([start, end]).all():
            raise UsageError(f"{option} {item!r}: expected start-end in seconds, e.g. 0.45-0.60")
        if end <= start:
            raise UsageError(f"{option} {item!r}: the window is empty (its end is not after its start)")
        if start < 0 or end > duration:
            raise UsageError(f"{option} {item!r}: outside the clip (0 to {duration:.3f} s)")
        spans.append((start, end))
    if not spans:
        raise UsageError(f"{option} {text!r}: no window given; expected start-end spans, e.g. 0.45-0.60,1.05-1.20")
    spans.sort()
    for (_, first_end), (second_start, _) in itertools.pairwise(spans):
        if second_start < first_end:
            raise UsageError(f"{option}: windows ending at {first_end} s and starting at {second_start} s overlap")
    return np.array(spans, dtype=float)


def window_weights(
    n_samples: int, sample_rate: int, windows: np.ndarray, fade_seconds: float = FADE_SECONDS
) -> np.ndarray:
    """Per sample, how much of the edit it takes: 1 inside a window, 0 outside, a raised cosine in the fades."""
    weights = np.zeros(n_samples)
    for start, end in windows:
        first, last = round(start * sample_rate), min(n_samples, round(end * sample_rate))
        length = last - first
        if length <= 0:
            continue
        fade = min(round(fade_seconds * sample_rate), length // 2)
        inside = np.ones(length)
        if fade:
            ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(fade) + 0.5) / fade)
            inside[:fade], inside[length - fade :] = ramp, ramp[::-1]
        weights[first:last] = np.maximum(weights[first:last], inside)
    return weights


def edit_inside(
    samples: np.ndarray,
    sample_rate: int,
    windows: np.ndarray,
    edit: Callable[[np.ndarray], np.ndarray],
    fade_seconds: float = FADE_SECONDS,
) -> np.ndarray:
    """``samples`` with ``edit`` (a whole-clip change of the same length) applied inside ``windows`` only."""
    edited = np.asarray(edit(samples), dtype=samples.dtype)
    if edited.shape != samples.shape:
        raise ValueError(f"an edit must keep the clip's length: got {edited.shape} for {samples.shape}")
    weights = window_weights(len(samples), sample_rate, windows, fade_seconds)
    out = samples.copy()
    changed = weights > 0
    out[changed] = ((1 - weights[changed]) * samples[changed] + weights[changed] * edited[changed]).astype(
        samples.dtype
    )
    return out


def gain(change_db: float) -> Callable[[np.ndarray], np.ndarray]:
    """The edit that raises (or, negative, lowers) the level by ``change_db`` decibels."""
    factor = 10 ** (change_db / 20)
    return lambda samples: samples * factor


#: The cues a window edit can move so far, with the unit its change is given in and the edit
#: that makes it. A gain moves intensity (dB) by exactly the change, and loudness with it.
MANIPULATIONS: dict[str, tuple[str, Callable[[float], Callable[[np.ndarray], np.ndarray]]]] = {
    "intensity_db": ("dB", gain),
    "loudness": ("dB", gain),
}


def manipulation(cue: str, change: float, option: str = "--cue") -> Callable[[np.ndarray], np.ndarray]:
    """The edit that changes ``cue`` by ``change`` (in its unit), or one line naming the manipulable cues."""
    if cue not in MANIPULATIONS:
        choices = ", ".join(f"{name} ({unit})" for name, (unit, _) in MANIPULATIONS.items())
        raise UsageError(f"{option} {cue!r}: cannot be manipulated; manipulable cues: {choices}")
    return MANIPULATIONS[cue][1](change)
