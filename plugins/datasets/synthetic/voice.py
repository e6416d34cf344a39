"""A small source-filter synthesiser of speech-like phrases.

Why synthesise: no emotional speech corpus may be shipped, and only a generated one
knows which acoustic cues carry each class. The recipe follows the classic
source-filter view of the voice: a glottal pulse train with an F0 contour (declination
and one accent per syllable) and cycle-to-cycle jitter and shimmer, a one-pole spectral
tilt, aspiration noise that sets the harmonics-to-noise ratio, three formant resonators
per vowel, noise bursts for consonants, and pauses between syllable groups.

Every setting of a voice is named after the cue it controls (:class:`VoiceSettings`),
so an emotion table's shift for ``loudness`` adds to the field ``loudness``, and the
ground truth of a clip is the settings that produced it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import signal

# Formant frequencies (Hz) of five vowels for an average adult vocal tract.
VOWEL_FORMANTS = np.array(
    [
        [730.0, 1090.0, 2440.0],  # a
        [530.0, 1840.0, 2480.0],  # e
        [270.0, 2290.0, 3010.0],  # i
        [570.0, 840.0, 2410.0],  # o
        [300.0, 870.0, 2240.0],  # u
    ]
)
FORMANT_BANDWIDTHS = np.array([90.0, 110.0, 170.0])
#: RMS of a neutral phrase's active part (about -26 dBFS) before a speaker's level and the loudness shift.
SPEECH_RMS = 0.05
#: Consonant bursts sit this many dB below the phrase's vowels.
BURST_LEVEL_DB = -15.0
#: One-pole coefficient of the neutral voice's spectral tilt; ``shrillness`` is measured against it.
NEUTRAL_TILT = 0.8
#: F0 falls by this many semitones over an utterance (declination).
DECLINATION_SEMITONES = 1.5
#: Bands of the high-frequency emphasis that defines ``shrillness`` (an alpha-ratio-like measure).
LOW_BAND_HZ = (50.0, 1000.0)
HIGH_BAND_HZ = (1000.0, 5000.0)


@dataclass(frozen=True)
class Speaker:
    """Speaker traits: what every emotion cue is relative to."""

    speaker_id: str
    f0_hz: float
    formant_scale: float
    syllables_per_second: float
    level_db: float = 0.0


@dataclass(frozen=True)
class VoiceSettings:
    """A voice in cue units: the neutral voice, or the neutral voice shifted by an emotion."""

    #: Semitones above the speaker's mean F0.
    pitch_level: float = 0.0
    #: Semitones: the largest accent a syllable gets (accents are drawn from -0.6 to 1 times it).
    pitch_variability: float = 2.0
    #: Semitones of terminal rise, reached at the end of the phrase's last syllable.
    pitch_contour: float = 0.0
    #: dB above the speaker's neutral level.
    loudness: float = 0.0
    #: Percent faster than the speaker's syllable rate.
    speech_rate: float = 0.0
    #: dB more 1-5 kHz energy (against 0.05-1 kHz) in the glottal source than the neutral voice.
    shrillness: float = 0.0
    #: Percent: SD of glottal periods relative to the period.
    jitter: float = 0.5
    #: Percent: SD of glottal pulse amplitudes relative to the mean amplitude.
    shimmer: float = 3.0
    #: dB of harmonic over aspiration-noise energy at the source.
    hnr: float = 22.0


@dataclass(frozen=True, eq=False)
class Syllable:
    """A consonant burst from ``start`` to ``vowel_start``, then a voiced vowel until ``end`` (seconds)."""

    start: float
    vowel_start: float
    end: float
    formants: np.ndarray


@dataclass(frozen=True, eq=False)
class Phrase:
    """One rendered phrase, on the sample grid of the whole utterance (silent outside its span)."""

    settings: VoiceSettings
    span: tuple[float, float]
    syllables: tuple[Syllable, ...]
    #: The clean voice, scaled to its level; zero outside the span.
    samples: np.ndarray
    #: F0 contour in Hz per sample; NaN outside the span.
    f0_hz: np.ndarray
    #: Semitones the terminal rise adds per sample; zero elsewhere.
    rise: np.ndarray
    syllables_per_second: float


def render_phrase(
    speaker: Speaker,
    settings: VoiceSettings,
    span: tuple[float, float],
    rng: np.random.Generator,
    sample_rate: int,
    n_samples: int,
) -> Phrase:
    """Syllables spoken with ``settings`` inside ``span`` (seconds) of an utterance of ``n_samples``."""
    first, last = round(span[0] * sample_rate), min(round(span[1] * sample_rate), n_samples)
    rate = speaker.syllables_per_second * (1.0 + settings.speech_rate / 100.0)
    syllables = _plan_syllables(rate, span, rng)
    times = np.arange(first, last) / sample_rate
    accents, rise = _pitch_movements(settings, syllables, times, rng)
    utterance_seconds = n_samples / sample_rate
    semitones = settings.pitch_level - DECLINATION_SEMITONES * times / utterance_seconds + accents + rise
    f0 = speaker.f0_hz * 2.0 ** (semitones / 12.0)
    source = _glottal_source(f0, settings, rng, sample_rate)
    voice = np.zeros(last - first)
    bounds = [
        (
            round(s.start * sample_rate) - first,
            round(s.vowel_start * sample_rate) - first,
            round(s.end * sample_rate) - first,
        )
        for s in syllables
    ]
    for syllable, (_, v, b) in zip(syllables, bounds, strict=True):
        vowel = _formant_filter(source[v:b], syllable.formants * speaker.formant_scale, sample_rate)
        voice[v:b] += vowel * _envelope(b - v, sample_rate)
    if syllables:
        # Scale first, then add bursts at a fixed level below the vowels: the vowels' raw
        # level depends on tilt, F0 and noise, and a burst fixed against it would turn a
        # flatter tilt into *less* high-frequency energy overall.
        voice *= SPEECH_RMS * 10 ** ((speaker.level_db + settings.loudness) / 20) / _rms(voice[voice != 0])
        burst_rms = _rms(voice[voice != 0]) * 10 ** (BURST_LEVEL_DB / 20)
        for a, v, _ in bounds:
            voice[a:v] += _consonant_burst(v - a, rng, sample_rate) * burst_rms
    samples, f0_full, rise_full = np.zeros(n_samples), np.full(n_samples, np.nan), np.zeros(n_samples)
    samples[first:last], f0_full[first:last], rise_full[first:last] = voice, f0, rise
    return Phrase(settings, span, tuple(syllables), samples, f0_full, rise_full, rate)


def _plan_syllables(rate: float, span: tuple[float, float], rng: np.random.Generator) -> list[Syllable]:
    """Syllables at ``rate`` per second inside ``span``, with short pauses between groups.

    The lead-in before the first syllable and the margin after the last start shrink
    with a short span (an accented word), so every span of 0.2 s or more holds a syllable.
    """
    length_of_span = span[1] - span[0]
    time = span[0] + rng.uniform(0.05, 0.15) * min(1.0, length_of_span / 0.75)
    syllables = []
    while time < span[1] - min(0.15, 0.35 * length_of_span):
        length = rng.uniform(0.8, 1.2) / rate
        end = min(time + length * 0.85, span[1] - 0.03)
        formants = VOWEL_FORMANTS[rng.integers(len(VOWEL_FORMANTS))]
        if end - time >= 0.06:
            syllables.append(Syllable(time, time + min(0.04, (end - time) / 4), end, formants))
        time += length
        if rng.random() < 0.15:
            time += rng.uniform(0.1, 0.25)
    return syllables


def _pitch_movements(
    settings: VoiceSettings, syllables: list[Syllable], times: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Semitone offsets per sample: one Gaussian accent per syllable, and the terminal rise."""
    accents = np.zeros_like(times)
    for syllable in syllables:
        centre, width = (syllable.start + syllable.end) / 2, (syllable.end - syllable.start) / 2
        size = settings.pitch_variability * rng.uniform(-0.6, 1.0)
        accents += size * np.exp(-0.5 * ((times - centre) / width) ** 2)
    rise = np.zeros_like(times)
    if settings.pitch_contour and syllables:
        last = syllables[-1]
        rise = settings.pitch_contour * np.clip((times - last.start) / (last.end - last.start), 0.0, 1.0)
    return accents, rise


def _glottal_source(f0: np.ndarray, settings: VoiceSettings, rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Pulse train with per-period jitter and shimmer, tilt, and aspiration noise at the set HNR."""
    n = f0.shape[0]
    harmonic = np.zeros(n)
    position = 0
    while position < n:
        period = sample_rate / f0[position] * (1.0 + settings.jitter / 100 * rng.standard_normal())
        length = max(round(period), 8)
        amplitude = 1.0 + settings.shimmer / 100 * rng.standard_normal()
        end = min(position + length, n)
        harmonic[position:end] = amplitude * _rosenberg_pulse(length)[: end - position]
        position += length
    harmonic = np.diff(harmonic, prepend=0.0)  # radiation at the lips
    noise = rng.standard_normal(n)
    if n:
        noise *= _rms(harmonic) / _rms(noise) * 10 ** (-settings.hnr / 20)
    # The tilt shapes the whole source: tilting the pulses alone leaves white aspiration
    # noise to fill the high band, and a steeper tilt would barely change the spectrum.
    tilt = tilt_coefficient(settings.shrillness, sample_rate)
    return signal.lfilter([1.0 - tilt], [1.0, -tilt], harmonic + noise)


@lru_cache(maxsize=512)
def _rosenberg_pulse(length: int, open_quotient: float = 0.6, closing: float = 0.35) -> np.ndarray:
    """One period of the Rosenberg glottal flow pulse."""
    opening = int(length * open_quotient * (1 - closing))
    closing_len = max(int(length * open_quotient * closing), 1)
    pulse = np.zeros(length)
    rise = np.arange(opening) / max(opening, 1)
    pulse[:opening] = 0.5 * (1 - np.cos(np.pi * rise))
    fall = np.arange(closing_len) / closing_len
    pulse[opening : opening + closing_len] = np.cos(0.5 * np.pi * fall)
    return pulse


def high_frequency_emphasis(tilt: float, sample_rate: int) -> float:
    """dB of mean power gain in 1-5 kHz over 0.05-1 kHz of the one-pole tilt filter ``tilt``."""
    frequencies = np.linspace(LOW_BAND_HZ[0], HIGH_BAND_HZ[1], 2000)
    omega = 2 * np.pi * frequencies / sample_rate
    gain = (1 - tilt) ** 2 / (1 - 2 * tilt * np.cos(omega) + tilt**2)
    high = gain[frequencies >= HIGH_BAND_HZ[0]].mean()
    low = gain[frequencies < LOW_BAND_HZ[1]].mean()
    return float(10 * np.log10(high / low))


def shrillness_range(sample_rate: int) -> tuple[float, float]:
    """The ``shrillness`` values the tilt filter can reach: from tilt 0.995 to a flat source."""
    neutral = high_frequency_emphasis(NEUTRAL_TILT, sample_rate)
    return (high_frequency_emphasis(0.995, sample_rate) - neutral, high_frequency_emphasis(0.0, sample_rate) - neutral)


@lru_cache(maxsize=256)
def tilt_coefficient(shrillness: float, sample_rate: int) -> float:
    """The tilt coefficient whose high-frequency emphasis is ``shrillness`` dB above the neutral voice's.

    Emphasis falls monotonically with the coefficient, so bisection finds it.
    """
    low, high = shrillness_range(sample_rate)
    if not low <= shrillness <= high:
        raise ValueError(f"shrillness {shrillness} dB is outside the reachable {low:.1f} to {high:.1f} dB")
    target = high_frequency_emphasis(NEUTRAL_TILT, sample_rate) + shrillness
    lower, upper = 0.0, 0.995
    for _ in range(50):
        middle = (lower + upper) / 2
        if high_frequency_emphasis(middle, sample_rate) > target:
            lower = middle
        else:
            upper = middle
    return (lower + upper) / 2


def _formant_filter(source: np.ndarray, formants: np.ndarray, sample_rate: int) -> np.ndarray:
    """Cascade of second-order resonators, one per formant."""
    out = source
    for frequency, bandwidth in zip(formants, FORMANT_BANDWIDTHS, strict=True):
        radius = np.exp(-np.pi * bandwidth / sample_rate)
        theta = 2 * np.pi * min(frequency, 0.45 * sample_rate) / sample_rate
        a = [1.0, -2 * radius * np.cos(theta), radius**2]
        out = signal.lfilter([sum(a)], a, out)
    return out


def _consonant_burst(length: int, rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Band-passed noise with a fast decay, unit RMS: a fricative or plosive release."""
    burst = signal.sosfilt(_burst_band(sample_rate), rng.standard_normal(length)) * np.hanning(length)
    return burst / _rms(burst)


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 1.0


@lru_cache(maxsize=8)
def _burst_band(sample_rate: int) -> np.ndarray:
    return signal.butter(4, [2500, min(6500, sample_rate / 2 - 100)], btype="bandpass", fs=sample_rate, output="sos")


def _envelope(length: int, sample_rate: int) -> np.ndarray:
    """Smooth syllable amplitude envelope: 20 ms raised-cosine ramps."""
    ramp = min(round(0.02 * sample_rate), length // 2)
    env = np.ones(length)
    window = 0.5 * (1 - np.cos(np.pi * np.arange(ramp) / ramp))
    env[:ramp] = window
    env[length - ramp :] = window[::-1]
    return env
