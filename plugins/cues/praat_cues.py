"""Acoustic cues measured by Praat itself (through praat-parselmouth), on the 10 ms grid.

Praat is the reference toolkit of voice research: the emotion literature the expert
profiles cite reports jitter, shimmer, HNR and formants as Praat computes them, so a
profile cell such as "anger: jitter up" is best checked with Praat's own algorithms
rather than with re-implementations. Everything is analysed at 16 kHz with Praat's
standard settings for speech that may be high (women, children, emotional speech):
pitch floor 75 Hz, ceiling 600 Hz.

Praat's analyses have frame grids of their own (the first frame is centred in the
sound, so it usually lies 5 ms off ours). Each is read onto the grid (frame ``i`` at
``i * 10 ms``) by linear interpolation between the two Praat frames around a grid
time when both are defined, else the nearer defined one (so a grid frame is defined
exactly when its nearest Praat frame is; on a tie, when either is). Grid frames more
than half a Praat step outside the span Praat analysed are NaN: no analysis window
fitted there, and inventing a value would be a measurement Praat never made.

- ``pitch_level``: F0 from ``To Pitch (ac)`` (Praat's recommended method for
  intonation), in semitones re 27.5 Hz, interpolated in semitones; unvoiced frames
  (Praat's F0 of 0) are NaN. The frames with a defined F0 are the voiced mask. On the
  56 clips of the small synthetic corpus ac erred by a median 0.09 semitones against
  the true F0, with errors over half an octave in 0.4 % of frames; ``To Pitch (cc)``
  had them in 1.1 % (99th percentile error 11.8 semitones) and twice the false
  voicing (3.9 % against 1.9 % of its voiced frames).
- ``pitch_variability``: :func:`~bsbench.cues.statistics.local_spread` of pitch_level,
  the same definition the synthetic corpus's truth uses.
- ``intensity_db``: ``To Intensity`` (minimum pitch 75 Hz, 10 ms step), dB re
  (2e-5 Pa)^2. Its Kaiser window spans 6.4 / 75 Hz = 85 ms, so the first five and last
  four frames or so are NaN, as is a clip shorter than 85 ms, and so is digital silence
  (Praat's -300 dB floor marks zero energy, whose level is minus infinity, not a
  number: kept, it would swamp every statistic of a zero-padded clip).
- ``jitter`` (local, %) and ``shimmer`` (local, dB): Praat defines them over a stretch
  of a glottal pulse train (``To PointProcess (cc)``), with its standard arguments
  (period floor 0.1 ms, ceiling 20 ms, maximum period factor 1.3, maximum amplitude
  factor 1.6). Each voiced frame gets the value over a 100 ms window centred on it,
  clipped to the clip: at least 7 periods at the 75 Hz floor, about 20 at a typical
  200 Hz, yet no longer than a stressed vowel. Every voiced frame is evaluated (a
  Praat query costs under 0.1 ms), so there is no holding or interpolating between
  evaluations. NaN where Praat finds too few periods.
- ``hnr``: ``To Harmonicity (cc)`` (10 ms, minimum pitch 75 Hz), dB; Praat's -200 dB
  marks frames it could not measure and those are NaN, as are unvoiced frames.
- ``f1``, ``f2``, ``f3``: ``To Formant (burg)`` (5 formants up to 5500 Hz), Hz, voiced
  frames only: a formant of a fricative or of silence is a resonance of noise, not of
  the vocal tract shaping a vowel. 5500 Hz is Praat's ceiling for an adult female
  voice, the middle of its advice (5000 Hz for men, up to 8000 Hz for young
  children); one ceiling for every clip keeps tracks comparable across speakers at
  some cost of accuracy at both ends.
- ``speech_rate``: syllable nuclei per second after de Jong & Wempe (2009, Behavior
  Research Methods 41(2), 385-390), with their published settings: intensity with a
  50 Hz minimum pitch (Praat's default step, 16 ms), a nucleus is a local intensity peak at
  most 25 dB below the 0.99 quantile of the clip's intensity (never below its
  minimum), followed by a dip of more than 2 dB before the next peak (the last peak:
  before the end of the clip, where their script never counts it), and voiced (our
  voiced mask at the peak). Their separate silence detection is left out: a peak
  above the threshold already lies in sounding speech. Frame ``i`` holds the nuclei
  in a 1 s window centred on it, clipped to the clip, over the clipped window's
  duration. Not voiced-only: a pause has rate 0; NaN only for a clip shorter than
  the 128 ms intensity window.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import parselmouth
from parselmouth.praat import call

from bsbench.plugin import (
    ANALYSIS_RATE,
    SECONDS_PER_FRAME,
    VOICED_ONLY_CUES,
    Clip,
    CueTracks,
    analysis_samples,
    cue_units,
    frame_count,
    local_spread,
)

PITCH_FLOOR_HZ = 75.0
PITCH_CEILING_HZ = 600.0
#: Semitone reference: A0, the eGeMAPS convention every extractor shares.
SEMITONE_REFERENCE_HZ = 27.5
#: Sliding window over which frame-wise jitter and shimmer are measured.
PERTURBATION_WINDOW_S = 0.1
#: Praat's standard voice-report arguments: period floor, period ceiling, maximum period factor.
PERIOD_FLOOR_S = 0.0001
PERIOD_CEILING_S = 0.02
MAXIMUM_PERIOD_FACTOR = 1.3
MAXIMUM_AMPLITUDE_FACTOR = 1.6
FORMANT_CEILING_HZ = 5500.0
MAX_FORMANTS = 5
#: Praat's marker values: zero energy (intensity) and an unmeasurable frame (harmonicity).
INTENSITY_FLOOR_DB = -300.0
HARMONICITY_UNDEFINED_DB = -200.0
#: de Jong & Wempe (2009): intensity settings and thresholds of syllable nuclei.
NUCLEUS_INTENSITY_PITCH_HZ = 50.0
NUCLEUS_SILENCE_DB = 25.0
NUCLEUS_QUANTILE = 0.99
NUCLEUS_MIN_DIP_DB = 2.0
#: Window over which speech_rate counts nuclei, centred on each frame.
RATE_WINDOW_S = 1.0
#: Praat refuses sounds shorter than an analysis window (85 ms for intensity at 75 Hz,
#: 128 ms at 50 Hz). Clips shorter than this may fail that way and get NaN tracks; a
#: Praat error on a longer clip is a real failure and propagates.
SHORT_CLIP_S = 0.25

CUE_UNITS = cue_units(
    [
        "pitch_level",
        "pitch_variability",
        "intensity_db",
        "jitter",
        "shimmer",
        "hnr",
        "speech_rate",
        "f1",
        "f2",
        "f3",
    ]
)

_Analysis = TypeVar("_Analysis")


class PraatCues:
    name = "praat"
    description = "Pitch, intensity, jitter, shimmer, HNR, formants and speech rate from Praat on a 10 ms grid."
    version = "0.1.0"
    cues = CUE_UNITS

    def extract(self, clip: Clip) -> CueTracks:
        samples = analysis_samples(clip)
        n_frames = frame_count(samples.shape[0])
        times = np.arange(n_frames) * SECONDS_PER_FRAME
        sound = parselmouth.Sound(samples.astype(np.float64), sampling_frequency=ANALYSIS_RATE)
        short = sound.duration < SHORT_CLIP_S

        pitch = _analyse(
            short,
            lambda: sound.to_pitch_ac(
                time_step=SECONDS_PER_FRAME, pitch_floor=PITCH_FLOOR_HZ, pitch_ceiling=PITCH_CEILING_HZ
            ),
        )
        pitch_level = np.full(n_frames, np.nan)
        if pitch is not None:
            f0 = pitch.selected_array["frequency"]
            with np.errstate(divide="ignore"):
                semitones = np.where(f0 > 0, 12.0 * np.log2(f0 / SEMITONE_REFERENCE_HZ), np.nan)
            pitch_level = _on_grid(pitch, semitones, times)
        voiced = np.isfinite(pitch_level)

        tracks = {
            "pitch_level": pitch_level,
            "pitch_variability": local_spread(pitch_level),
            "intensity_db": _intensity(sound, times, short),
            **_perturbation(sound, pitch, times, voiced),
            "hnr": _harmonicity(sound, times, short),
            **_formants(sound, times, short),
            "speech_rate": _speech_rate(sound, times, voiced, short),
        }
        for cue in VOICED_ONLY_CUES & set(tracks):
            tracks[cue][~voiced] = np.nan
        return CueTracks(
            clip_id=clip.clip_id,
            seconds_per_frame=SECONDS_PER_FRAME,
            tracks=tracks,
            units=dict(CUE_UNITS),
            voiced=voiced,
            voiced_only=VOICED_ONLY_CUES & set(CUE_UNITS),
            extractor=self.name,
        )


def _analyse(short: bool, analysis: Callable[[], _Analysis]) -> _Analysis | None:
    """Run one Praat analysis; None where a short clip cannot hold its window."""
    try:
        return analysis()
    except parselmouth.PraatError:
        if short:
            return None
        raise


def _frame_times(analysis: parselmouth.Sampled) -> np.ndarray:
    return analysis.x1 + analysis.dx * np.arange(analysis.nx)


def _on_grid(analysis: parselmouth.Sampled, values: np.ndarray, times: np.ndarray) -> np.ndarray:
    """``values`` (one per frame of ``analysis``, NaN = undefined) read at ``times``.

    Linear between the two frames around a time when both are defined, else the
    nearer one's value (either on a tie); NaN beyond half a step outside the frames.
    """
    values = np.asarray(values, dtype=np.float64)
    position = (times - analysis.x1) / analysis.dx
    lower = np.floor(position).astype(int)
    weight = position - lower
    count = values.shape[0]
    padded = np.concatenate([[np.nan], values, [np.nan]])
    below = padded[np.clip(lower, -1, count) + 1]
    above = padded[np.clip(lower + 1, -1, count) + 1]
    result = np.full(times.shape[0], np.nan)
    only_below = np.isfinite(below) & ~np.isfinite(above) & (weight <= 0.5)
    only_above = ~np.isfinite(below) & np.isfinite(above) & (weight >= 0.5)
    both = np.isfinite(below) & np.isfinite(above)
    result[only_below] = below[only_below]
    result[only_above] = above[only_above]
    result[both] = (1.0 - weight[both]) * below[both] + weight[both] * above[both]
    return result


def _intensity(sound: parselmouth.Sound, times: np.ndarray, short: bool) -> np.ndarray:
    intensity = _analyse(short, lambda: sound.to_intensity(minimum_pitch=PITCH_FLOOR_HZ, time_step=SECONDS_PER_FRAME))
    if intensity is None:
        return np.full(times.shape[0], np.nan)
    decibels = intensity.values[0]
    return _on_grid(intensity, np.where(decibels <= INTENSITY_FLOOR_DB, np.nan, decibels), times)


def _harmonicity(sound: parselmouth.Sound, times: np.ndarray, short: bool) -> np.ndarray:
    harmonicity = _analyse(
        short, lambda: sound.to_harmonicity_cc(time_step=SECONDS_PER_FRAME, minimum_pitch=PITCH_FLOOR_HZ)
    )
    if harmonicity is None:
        return np.full(times.shape[0], np.nan)
    decibels = harmonicity.values[0]
    return _on_grid(harmonicity, np.where(decibels <= HARMONICITY_UNDEFINED_DB, np.nan, decibels), times)


def _formants(sound: parselmouth.Sound, times: np.ndarray, short: bool) -> dict[str, np.ndarray]:
    formant = _analyse(
        short,
        lambda: sound.to_formant_burg(
            time_step=SECONDS_PER_FRAME, max_number_of_formants=MAX_FORMANTS, maximum_formant=FORMANT_CEILING_HZ
        ),
    )
    tracks = {}
    for number in (1, 2, 3):
        if formant is None:
            tracks[f"f{number}"] = np.full(times.shape[0], np.nan)
            continue
        # One Matrix per formant number: every frame at once, 0 where the frame has fewer formants.
        frequencies = call(formant, "To Matrix...", number).values[0]
        tracks[f"f{number}"] = _on_grid(formant, np.where(frequencies > 0, frequencies, np.nan), times)
    return tracks


def _perturbation(
    sound: parselmouth.Sound, pitch: parselmouth.Pitch | None, times: np.ndarray, voiced: np.ndarray
) -> dict[str, np.ndarray]:
    """Praat's local jitter (%) and local shimmer (dB) over a window centred on every voiced frame."""
    jitter = np.full(times.shape[0], np.nan)
    shimmer = np.full(times.shape[0], np.nan)
    if pitch is None or not voiced.any():
        return {"jitter": jitter, "shimmer": shimmer}
    pulses = call([sound, pitch], "To PointProcess (cc)")
    half = PERTURBATION_WINDOW_S / 2
    periods = (PERIOD_FLOOR_S, PERIOD_CEILING_S, MAXIMUM_PERIOD_FACTOR)
    for index in np.flatnonzero(voiced):
        start = max(times[index] - half, 0.0)
        end = min(times[index] + half, sound.duration)
        # Praat returns the relative jitter as a fraction; the vocabulary's unit is percent.
        jitter[index] = 100.0 * call(pulses, "Get jitter (local)", start, end, *periods)
        shimmer[index] = call([sound, pulses], "Get shimmer (local_dB)", start, end, *periods, MAXIMUM_AMPLITUDE_FACTOR)
    return {"jitter": jitter, "shimmer": shimmer}


def _speech_rate(sound: parselmouth.Sound, times: np.ndarray, voiced: np.ndarray, short: bool) -> np.ndarray:
    """Syllable nuclei (de Jong & Wempe 2009) per second in a window centred on every frame."""
    intensity = _analyse(short, lambda: sound.to_intensity(minimum_pitch=NUCLEUS_INTENSITY_PITCH_HZ))
    if intensity is None:
        return np.full(times.shape[0], np.nan)
    nuclei = syllable_nuclei(_frame_times(intensity), intensity.values[0], voiced)
    half = RATE_WINDOW_S / 2
    start = np.maximum(times - half, 0.0)
    end = np.minimum(times + half, sound.duration)
    counts = np.searchsorted(nuclei, end, side="left") - np.searchsorted(nuclei, start, side="left")
    return counts / (end - start)


def syllable_nuclei(frame_times: np.ndarray, decibels: np.ndarray, voiced: np.ndarray) -> np.ndarray:
    """Times (s, ascending) of the syllable nuclei in an intensity contour sampled at ``frame_times``.

    A nucleus is a local maximum of ``decibels`` above the threshold, followed by a dip
    of more than 2 dB before the next maximum (or the end), whose nearest frame of the
    10 ms grid is ``voiced``. Public so the peak picking can be tested on contours built
    by hand.
    """
    if decibels.shape[0] < 3:
        return np.empty(0)
    threshold = max(float(np.quantile(decibels, NUCLEUS_QUANTILE)) - NUCLEUS_SILENCE_DB, float(decibels.min()))
    middle = decibels[1:-1]
    peaks = np.flatnonzero((middle > decibels[:-2]) & (middle >= decibels[2:]) & (middle > threshold)) + 1
    if peaks.size == 0:
        return np.empty(0)
    ends = np.append(peaks[1:], decibels.shape[0] - 1)
    dips = np.array([decibels[peak : end + 1].min() for peak, end in zip(peaks, ends, strict=True)])
    peaks = peaks[decibels[peaks] - dips > NUCLEUS_MIN_DIP_DB]
    nucleus_times = frame_times[peaks]
    nearest = np.clip(np.round(nucleus_times / SECONDS_PER_FRAME).astype(int), 0, voiced.shape[0] - 1)
    return nucleus_times[voiced[nearest]]
