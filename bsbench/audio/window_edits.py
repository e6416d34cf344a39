"""Changing a waveform inside chosen time windows only, with short cross-fades, the rest untouched.

A causal test of an explanation's cue story changes a cue inside the salient windows and
nowhere else. The change is made on a whole-clip edited copy of the signal (how, per cue, is
:mod:`bsbench.audio.cue_manipulations`), and :func:`splice` takes from that copy only the
windows: the output is the original outside them, the edit inside, and a raised-cosine blend
over a short fade at each window edge (inside the window), so no click is added and every
sample beyond a window stays bit for bit the original. An edit may also change time (a
faster window is shorter): the same splice then shifts the audio after each window by what
the window gained or lost and says where the windows went, and :func:`aligned_windows` first
moves the cut points so the edited copy meets the original in phase.
Windows are typed as ``start-end`` spans in seconds (``0.45-0.60,1.05-1.20``) and refused
with one line when they are empty, overlap or leave the clip.
"""

from __future__ import annotations

import itertools

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


def _fade_ramp(fade: int) -> np.ndarray:
    """The rising half of a raised cosine over ``fade`` samples, never exactly 0 or 1 (so a fade sample is a blend)."""
    return 0.5 - 0.5 * np.cos(np.pi * (np.arange(fade) + 0.5) / fade)


def _sample_spans(windows: np.ndarray, sample_rate: int, n_samples: int) -> np.ndarray:
    """``(k, 2)`` first and past-the-end sample indices of ``windows`` in a clip of ``n_samples``."""
    return np.clip(np.round(np.asarray(windows, dtype=float) * sample_rate).astype(int), 0, n_samples)


def _best_shift(reference: np.ndarray, edited: np.ndarray, at: int, max_shift: int, threshold: float) -> int:
    """The shift (samples) at which ``edited[at + shift:]`` looks most like ``reference``; 0 if none looks alike.

    Normalised cross-correlation over shifts in ``-max_shift..max_shift``; a best match below
    ``threshold`` (noise, silence) says nothing about alignment, so the edge stays where it was.
    """
    length = len(reference)
    shifts = [s for s in range(-max_shift, max_shift + 1) if 0 <= at + s <= len(edited) - length]
    if length == 0 or not shifts or not np.any(reference):
        return 0
    candidates = np.stack([edited[at + s : at + s + length] for s in shifts])
    norms = np.linalg.norm(candidates, axis=1) * np.linalg.norm(reference)
    scores = np.divide(candidates @ reference, norms, out=np.zeros(len(shifts)), where=norms > 0)
    best = int(np.argmax(scores))
    return shifts[best] if scores[best] >= threshold else 0


def aligned_windows(
    samples: np.ndarray,
    sample_rate: int,
    windows: np.ndarray,
    edited: np.ndarray,
    edited_windows: np.ndarray,
    max_shift_seconds: float,
    context_seconds: float = 2 * FADE_SECONDS,
    threshold: float = 0.5,
) -> np.ndarray:
    """``edited_windows`` with each edge moved to where the edited copy continues the original seamlessly.

    A time-changing edit such as PSOLA can only add or drop whole pitch periods of a voiced
    stretch, so past a window its copy is the original shifted by a whole number of periods,
    not by the nominal change: cut at the nominal edge, the copy meets the original half a
    period out of phase, and the fade cancels a period (measured: a 6 dB dip and a missing
    pulse). Each edge is moved, by at most ``max_shift_seconds``, to where the copy's audio
    just outside the window (``context_seconds`` of it, where the copy runs at the original
    rate) best matches the original's audio just outside the same edge. The windows then change
    length by a little more or less than asked (by less than ``max_shift_seconds`` per edge), and
    :func:`splice` reports where they end up.
    """
    context, max_shift = round(context_seconds * sample_rate), round(max_shift_seconds * sample_rate)
    spans = _sample_spans(windows, sample_rate, len(samples))
    edited_spans = _sample_spans(edited_windows, sample_rate, len(edited))
    bounds = [0, *spans.ravel(), len(samples)]  # each edge's outside lies between its neighbours in this list
    moved = edited_spans.ravel().copy()
    for index, (edge, edited_edge) in enumerate(zip(spans.ravel(), edited_spans.ravel(), strict=True)):
        if index % 2 == 0:  # a start: match the audio before it
            first = max(bounds[index], edge - context)
            shift = _best_shift(samples[first:edge], edited, edited_edge - (edge - first), max_shift, threshold)
        else:  # an end: match the audio after it
            last = min(bounds[index + 2], edge + context)
            shift = _best_shift(samples[edge:last], edited, edited_edge, max_shift, threshold)
        moved[index] = edited_edge + shift
    if np.any(np.diff(moved) < 0) or np.any(moved[1::2] <= moved[::2]):
        return edited_spans / sample_rate  # a window too short for its edges to move apart: keep the nominal cut
    return moved.reshape(-1, 2) / sample_rate


def splice(
    samples: np.ndarray,
    sample_rate: int,
    windows: np.ndarray,
    edited: np.ndarray,
    edited_windows: np.ndarray | None = None,
    fade_seconds: float = FADE_SECONDS,
) -> tuple[np.ndarray, np.ndarray]:
    """``samples`` with each window replaced by the same window of ``edited``, and where the windows now lie.

    ``edited`` is a whole-clip edited copy. ``edited_windows`` says where the windows lie in
    it when the edit changed time (a rate change makes a window shorter or longer); left out,
    the edit kept the clip's length and the windows are where they were. The output is the
    original's samples up to the first window, the edited copy's stretch for each window, and
    the original's samples between and after windows, so everything outside a window is bit
    for bit the original, shifted in time by what the windows before it gained or lost.
    Inside each window a raised-cosine fade of ``fade_seconds`` at either edge blends the edit
    with the original *aligned at that edge*: at the start with the samples that follow the
    window's start, at the end with those that precede its end. For an edit that kept the
    length both are the original at the same instant, so one rule serves both kinds of edit.
    The windows returned are in seconds of the output, on its sample boundaries.
    """
    if edited_windows is None:
        if edited.shape != samples.shape:
            raise ValueError(f"an edit must keep the clip's length: got {edited.shape} for {samples.shape}")
        edited_windows = windows
    spans = _sample_spans(windows, sample_rate, len(samples))
    edited_spans = _sample_spans(edited_windows, sample_rate, len(edited))
    if np.any(np.diff(spans.ravel()) < 0) or np.any(np.diff(edited_spans.ravel()) < 0):
        raise ValueError("windows must be in time order and must not overlap")
    pieces, placed, cursor, length = [], [], 0, 0
    for (first, last), (edited_first, edited_last) in zip(spans, edited_spans, strict=True):
        inside = np.asarray(edited[edited_first:edited_last], dtype=np.float64).copy()
        fade = min(round(fade_seconds * sample_rate), len(inside) // 2, last - first)
        if fade:
            ramp = _fade_ramp(fade)
            inside[:fade] = (1 - ramp) * samples[first : first + fade] + ramp * inside[:fade]
            inside[len(inside) - fade :] = (
                ramp[::-1] * inside[len(inside) - fade :] + (1 - ramp[::-1]) * samples[last - fade : last]
            )
        length += first - cursor
        placed.append((length, length + len(inside)))
        pieces += [samples[cursor:first], inside.astype(samples.dtype)]
        cursor, length = last, length + len(inside)
    pieces.append(samples[cursor:])
    return np.concatenate(pieces), np.array(placed, dtype=float).reshape(-1, 2) / sample_rate
