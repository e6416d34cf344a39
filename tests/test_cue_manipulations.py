"""Each cue manipulation moves its cue by what was asked, as Praat measures it, and nothing outside its windows.

Every measurement is parselmouth's own analysis (pitch, intensity, spectrum), not bsbench's
extractors, so a manipulation is not checked by the code that will later read its cue.
"""

from __future__ import annotations

import math

import numpy as np
import parselmouth
import pytest
from parselmouth.praat import call

from bsbench.audio.cue_manipulations import MANIPULATIONS, NOT_MANIPULABLE, check_change, manipulation
from bsbench.core.errors import DataError, UsageError
from bsbench.interfaces.vocabulary import BUILTIN_CUE_VOCABULARY
from tests.test_window_edits import outside_windows, splice_weights

RATE = 16_000
TWO_WINDOWS = np.array([[0.5, 1.0], [1.3, 1.6]])


def _voice(seconds: float = 2.0, vibrato_st: float = 0.34, harmonics: int = 11) -> np.ndarray:
    """A vowel-like tone: 140 Hz with 1/k harmonics and a 5 Hz vibrato of +-``vibrato_st`` semitones."""
    t = np.arange(round(seconds * RATE)) / RATE
    f0 = 140 * 2 ** (vibrato_st * np.sin(2 * np.pi * 5 * t) / 12)
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    return 0.1 * sum(np.sin(k * phase) / k for k in range(1, harmonics + 1))


def _syllables(seconds: float = 2.0) -> np.ndarray:
    """Voiced 80 ms "syllables" (150 Hz) every 150 ms, from 0.1 s, over near-silence (-80 dB noise)."""
    length = round(0.08 * RATE)
    phase = 2 * np.pi * 150 * np.arange(length) / RATE
    burst = 0.2 * np.hanning(length) ** 0.3 * sum(np.sin(k * phase) / k for k in range(1, 12))
    samples = 1e-4 * np.random.default_rng(1).standard_normal(round(seconds * RATE))
    for start in np.arange(0.1, seconds - 0.08, 0.15):
        samples[round(start * RATE) : round(start * RATE) + length] += burst
    return samples


def _semitones(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Praat's pitch track in semitones re 1 Hz (NaN where unvoiced), with its frame times."""
    pitch = parselmouth.Sound(samples, sampling_frequency=RATE).to_pitch()
    hertz = pitch.selected_array["frequency"]
    return pitch.xs(), np.where(hertz > 0, 12 * np.log2(np.where(hertz > 0, hertz, 1)), np.nan)


def _well_inside(times: np.ndarray, windows: np.ndarray, margin: float = 0.02) -> np.ndarray:
    return np.any([(times >= start + margin) & (times <= end - margin) for start, end in windows], axis=0)


def _band_tilt(samples: np.ndarray, start: float, end: float) -> float:
    """Praat: energy 2-5 kHz over energy 0-500 Hz (dB) of the samples from ``start`` to ``end``."""
    spectrum = parselmouth.Sound(samples[round(start * RATE) : round(end * RATE)], sampling_frequency=RATE)
    spectrum = spectrum.to_spectrum()
    high, low = call(spectrum, "Get band energy", 2000, 5000), call(spectrum, "Get band energy", 0, 500)
    return 10 * math.log10(high / low)


def _sounding(samples: np.ndarray) -> np.ndarray:
    """(onset, offset) of each stretch where Praat's intensity is within 20 dB of its peak, interpolated."""
    intensity = parselmouth.Sound(samples, sampling_frequency=RATE).to_intensity(minimum_pitch=150, time_step=0.001)
    times, level = intensity.xs(), intensity.values[0]
    threshold = level.max() - 20
    above = level > threshold
    edges = np.flatnonzero(np.diff(above.astype(int)))
    crossings = times[edges] + (threshold - level[edges]) / (level[edges + 1] - level[edges]) * 0.001
    crossings = crossings[1:] if above[0] else crossings
    return crossings[: len(crossings) // 2 * 2].reshape(-1, 2)


def test_every_vocabulary_cue_is_manipulable_or_says_why_not():
    assert set(MANIPULATIONS) | set(NOT_MANIPULABLE) == set(BUILTIN_CUE_VOCABULARY)
    assert not set(MANIPULATIONS) & set(NOT_MANIPULABLE)
    assert all(len(reason) > 30 and "\n" not in reason for reason in NOT_MANIPULABLE.values())
    with pytest.raises(TypeError):
        MANIPULATIONS["jitter"] = MANIPULATIONS["pitch_level"]  # type: ignore[index]


def test_a_cue_without_a_manipulation_is_refused_with_the_reason_and_the_choices():
    with pytest.raises(UsageError) as refused:
        manipulation("jitter")
    message = str(refused.value)
    assert message.startswith("--cue 'jitter': cannot be manipulated (PSOLA can add period-to-period perturbation")
    assert message.endswith(
        "manipulable cues: pitch_level (st), pitch_variability (x), intensity_db (dB), loudness (dB), "
        "shrillness (dB), alpha_ratio (dB), speech_rate (%)"
    )
    with pytest.raises(UsageError, match=r"^--cue 'tempo': cannot be manipulated; manipulable cues: pitch_level"):
        manipulation("tempo")
    assert manipulation("pitch_level").cue == "pitch_level"


@pytest.mark.parametrize(
    ("cue", "change", "message"),
    [
        ("pitch_level", 12.5, "--change 12.5: pitch_level takes -12 to 12 st"),
        ("pitch_level", -13, "-12 to 12 st"),
        ("pitch_variability", 0, "--change 0: pitch_variability takes a factor from 0.25 to 4 \\(1 = no change\\)"),
        ("pitch_variability", -2, "a factor from 0.25 to 4"),
        ("pitch_variability", 5, "a factor from 0.25 to 4"),
        ("speech_rate", -60, "speech_rate takes -50 to 100 %"),
        ("speech_rate", 120, "-50 to 100 %"),
        ("intensity_db", 41, "intensity_db takes -40 to 40 dB"),
        ("shrillness", -41, "shrillness takes -40 to 40 dB"),
        ("loudness", math.nan, "--change nan: must be a finite number"),
        ("alpha_ratio", math.inf, "--change inf: must be a finite number"),
    ],
)
def test_a_change_out_of_range_is_one_line(cue, change, message):
    with pytest.raises(UsageError, match=message):
        check_change(MANIPULATIONS[cue], change)


@pytest.mark.parametrize(("cue", "change"), [("pitch_level", -12), ("pitch_variability", 4), ("speech_rate", -50)])
def test_the_range_ends_are_allowed(cue, change):
    check_change(MANIPULATIONS[cue], change)


def test_towards_moves_the_cue_against_its_direction():
    assert MANIPULATIONS["pitch_level"].towards(+1, 2.0) == -2.0
    assert MANIPULATIONS["speech_rate"].towards(-1, 20.0) == 20.0
    assert MANIPULATIONS["pitch_variability"].towards(+1, 2.0) == 0.5
    assert MANIPULATIONS["pitch_variability"].towards(-1, 2.0) == 2.0
    with pytest.raises(ValueError, match="above 1"):
        MANIPULATIONS["pitch_variability"].towards(+1, 0.5)
    with pytest.raises(ValueError, match="direction must be"):
        MANIPULATIONS["pitch_level"].towards(0, 2.0)


@pytest.mark.parametrize("semitones", [2.0, -2.0, 4.0, -4.0])
def test_pitch_level_moves_f0_by_the_semitones_asked_inside_the_windows_only(semitones):
    original = _voice()
    edited = MANIPULATIONS["pitch_level"].apply(original, RATE, TWO_WINDOWS, semitones)
    assert edited.shape == original.shape
    outside = outside_windows(len(original), TWO_WINDOWS)
    assert np.array_equal(edited[outside], original[outside])
    times, before = _semitones(original)
    _, after = _semitones(edited)
    frames = _well_inside(times, TWO_WINDOWS) & np.isfinite(before) & np.isfinite(after)
    error = after[frames] - before[frames] - semitones
    assert frames.sum() > 60
    assert abs(np.median(error)) < 0.3 and np.mean(np.abs(error) < 0.3) >= 0.9


@pytest.mark.parametrize("factor", [0.5, 2.0])
def test_pitch_variability_scales_the_f0_excursions_and_keeps_their_mean(factor):
    original = _voice(vibrato_st=1.0)
    windows = np.array([[0.6, 1.2]])
    edited = MANIPULATIONS["pitch_variability"].apply(original, RATE, windows, factor)
    outside = outside_windows(len(original), windows)
    assert np.array_equal(edited[outside], original[outside])
    times, before = _semitones(original)
    _, after = _semitones(edited)
    frames = _well_inside(times, windows) & np.isfinite(before) & np.isfinite(after)
    assert frames.sum() > 50
    assert abs(np.std(after[frames]) / np.std(before[frames]) / factor - 1) < 0.05  # measured: 1.5 to 2 %
    assert abs(np.mean(after[frames]) - np.mean(before[frames])) < 0.3


@pytest.mark.parametrize("cue", ["intensity_db", "loudness"])
def test_a_level_change_is_the_gain_inside_and_nothing_outside(cue):
    original = _voice()
    edited = MANIPULATIONS[cue].apply(original, RATE, TWO_WINDOWS, -3.0)
    weights = splice_weights(len(original), TWO_WINDOWS)
    assert np.array_equal(edited[weights == 0], original[weights == 0])
    assert np.allclose(edited[weights == 1], original[weights == 1] * 10 ** (-3 / 20))


@pytest.mark.parametrize(("cue", "change"), [("shrillness", 6.0), ("shrillness", -6.0), ("alpha_ratio", 6.0)])
def test_a_tilt_change_moves_the_high_band_over_the_low_by_the_decibels_asked(cue, change):
    original = _voice(harmonics=35)  # harmonics up to 4.9 kHz
    windows = np.array([[0.5, 1.0]])
    edited = MANIPULATIONS[cue].apply(original, RATE, windows, change)
    outside = outside_windows(len(original), windows)
    assert np.array_equal(edited[outside], original[outside])
    moved = _band_tilt(edited, 0.51, 0.99) - _band_tilt(original, 0.51, 0.99)
    assert abs(moved - change) < 0.5
    assert _band_tilt(edited, 1.2, 1.8) == _band_tilt(original, 1.2, 1.8)


@pytest.mark.parametrize("percent", [-20.0, 25.0])
def test_speech_rate_retimes_the_syllables_inside_the_windows_and_keeps_the_rest(percent):
    original = _syllables()
    windows = np.array([[0.365, 1.115], [1.265, 1.865]])  # edges in the gaps: 5 and 4 syllables inside
    edited, placed = MANIPULATIONS["speech_rate"].apply_with_windows(original, RATE, windows, percent)
    factor = 1 / (1 + percent / 100)
    lengths, new_lengths = windows[:, 1] - windows[:, 0], placed[:, 1] - placed[:, 0]
    assert abs(len(edited) - len(original) - (new_lengths - lengths).sum() * RATE) < 1
    # each window as long as asked, give or take the 1 ms rate ramps beside it (and noise-phase alignment)
    assert np.all(np.abs(new_lengths - lengths * factor) < 0.001)
    head, tail = round(windows[0, 0] * RATE), round(windows[-1, 1] * RATE)
    assert np.array_equal(edited[:head], original[:head])
    assert np.array_equal(edited[len(edited) - (len(original) - tail) :], original[tail:])
    before, after = _sounding(original), _sounding(edited)
    for (start, end), (new_start, new_end) in zip(windows, placed, strict=True):
        inside = before[(before[:, 0] > start) & (before[:, 1] < end)]
        moved = after[(after[:, 0] > new_start) & (after[:, 1] < new_end)]
        assert len(inside) == len(moved) >= 4
        ratio = (moved[-1, 1] - moved[0, 0]) / (inside[-1, 1] - inside[0, 0])
        assert abs(ratio / factor - 1) < 0.05


@pytest.mark.parametrize("percent", [-20.0, 25.0])
def test_a_rate_change_meets_the_original_in_phase_at_voiced_window_edges(percent):
    """PSOLA adds or drops whole periods; cut where it meets the original in phase, no period is lost at a seam."""
    original = _voice()
    edited, placed = MANIPULATIONS["speech_rate"].apply_with_windows(original, RATE, TWO_WINDOWS, percent)
    factor = 1 / (1 + percent / 100)
    nominal = (TWO_WINDOWS[:, 1] - TWO_WINDOWS[:, 0]) * factor
    assert np.all(np.abs(placed[:, 1] - placed[:, 0] - nominal) < 1 / 140)  # within a period of what was asked
    head, tail = round(TWO_WINDOWS[0, 0] * RATE), round(TWO_WINDOWS[-1, 1] * RATE)
    assert np.array_equal(edited[:head], original[:head])
    assert np.array_equal(edited[len(edited) - (len(original) - tail) :], original[tail:])
    sound = parselmouth.Sound(edited, sampling_frequency=RATE)
    intensity = sound.to_intensity(minimum_pitch=400, time_step=0.001)
    pulses = call(sound, "To PointProcess (periodic, cc)", 75, 600)
    times = np.array(
        [call(pulses, "Get time from index", i) for i in range(1, call(pulses, "Get number of points") + 1)]
    )
    periods, ends = np.diff(times), times[1:]
    lowest = parselmouth.Sound(original, sampling_frequency=RATE).to_intensity(400, 0.001).values[0][50:-50].min()
    for edge in placed.ravel():
        near = np.abs(intensity.xs() - edge) < 0.015
        assert intensity.values[0][near].min() > lowest - 1.0  # no dip from a half-period mismatch
        assert np.all(np.abs(periods[np.abs(ends - edge) < 0.02] * 140 - 1) < 0.1)  # no period lost or doubled


@pytest.mark.parametrize("cue", ["pitch_level", "speech_rate"])
def test_no_window_changes_nothing(cue):
    original = _voice(0.5)
    edited, placed = MANIPULATIONS[cue].apply_with_windows(original, RATE, np.empty((0, 2)), 2.0)
    assert np.array_equal(edited, original) and placed.shape == (0, 2)


def test_a_psola_edit_of_a_clip_too_short_to_analyse_says_so():
    with pytest.raises(DataError, match="at least 40 ms"):
        MANIPULATIONS["pitch_level"].apply(_voice(0.03), RATE, np.array([[0.0, 0.02]]), 2.0)


@pytest.mark.parametrize("cue", sorted(MANIPULATIONS))
def test_every_manipulation_gives_the_same_samples_on_every_call(cue):
    """Praat's overlap-add draws random numbers in unvoiced stretches: a score must not depend on them."""
    rng = np.random.default_rng(0)
    t = np.arange(2 * 16_000) / 16_000
    samples = (0.1 * np.sin(2 * np.pi * 140 * t) * (t < 1) + 0.01 * rng.standard_normal(t.size)).astype(np.float32)
    windows = np.array([[0.5, 0.65], [1.2, 1.35]])  # one voiced, one of noise only
    manip = MANIPULATIONS[cue]
    change = manip.towards(1, 2.0 if manip.scale == "factor" else 3.0)
    first, second = manip.apply(samples, 16_000, windows, change), manip.apply(samples, 16_000, windows, change)
    assert first.shape == second.shape and np.array_equal(first, second)
