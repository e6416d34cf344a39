"""A small source-filter synthesiser of speech-like utterances.

Why synthesise: no emotional speech corpus may be shipped, and only a generated one
knows which acoustic cues carry each class. The recipe follows the classic
source-filter view of the voice: a glottal pulse train with an F0 contour and
cycle-to-cycle jitter and shimmer, aspiration noise that sets the harmonics-to-noise
ratio, a one-pole spectral tilt, three formant resonators per vowel, noise bursts for
consonants, pauses, and a constant recording noise floor (so loudness stays visible in
a max-referenced spectrogram, as it is in real recordings).
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
NOISE_FLOOR_RMS = 1e-3
#: RMS of a neutral utterance's active part (about -26 dBFS); emotions shift it by level_db.
SPEECH_RMS = 0.05


@dataclass(frozen=True)
class Speaker:
    """Speaker traits: everything emotion cues are relative to."""

    speaker_id: str
    f0_hz: float
    formant_scale: float
    syllables_per_second: float


@dataclass(frozen=True)
class VoiceSettings:
    """Acoustic settings of one utterance, the neutral voice shifted by an emotion."""

    f0_shift_semitones: float = 0.0
    f0_range_semitones: float = 2.0
    final_rise_semitones: float = 0.0
    level_db: float = 0.0
    rate_scale: float = 1.0
    tilt: float = 0.9
    jitter: float = 0.005
    shimmer: float = 0.03
    hnr_db: float = 22.0


def synthesise_utterance(
    speaker: Speaker,
    voice: VoiceSettings,
    rng: np.random.Generator,
    sample_rate: int = 16_000,
    duration: float = 2.0,
) -> np.ndarray:
    """One utterance of ``duration`` seconds: float32 samples in [-1, 1]."""
    n_samples = round(duration * sample_rate)
    syllables = _plan_syllables(speaker, voice, rng, duration)
    f0 = _f0_contour(speaker, voice, syllables, rng, n_samples, sample_rate)
    source = _glottal_source(f0, voice, rng, sample_rate)
    output = np.zeros(n_samples)
    for start, end, vowel in syllables:
        a, b = round(start * sample_rate), min(round(end * sample_rate), n_samples)
        if b - a < 64:
            continue
        burst = min(round(0.04 * sample_rate), (b - a) // 4)
        output[a : a + burst] += _consonant_burst(burst, rng, sample_rate) * 0.03
        vowel = _formant_filter(source[a + burst : b], vowel * speaker.formant_scale, sample_rate)
        output[a + burst : b] += vowel * _envelope(b - a - burst)
    active = output[np.abs(output) > 0]
    rms = float(np.sqrt(np.mean(active**2))) if active.size else 1.0
    output = output / rms * SPEECH_RMS * 10 ** (voice.level_db / 20)
    output += rng.normal(0.0, NOISE_FLOOR_RMS, n_samples)
    return np.clip(output, -1.0, 1.0).astype(np.float32)


def _plan_syllables(
    speaker: Speaker, voice: VoiceSettings, rng: np.random.Generator, duration: float
) -> list[tuple[float, float, np.ndarray]]:
    """(start s, end s, formants) per syllable, with short pauses between phrases."""
    rate = speaker.syllables_per_second * voice.rate_scale
    time = rng.uniform(0.05, 0.15)
    syllables = []
    while time < duration - 0.15:
        length = rng.uniform(0.8, 1.2) / rate
        end = min(time + length * 0.85, duration - 0.05)
        syllables.append((time, end, VOWEL_FORMANTS[rng.integers(len(VOWEL_FORMANTS))]))
        time += length
        if rng.random() < 0.15:
            time += rng.uniform(0.1, 0.25)
    return syllables


def _f0_contour(
    speaker: Speaker,
    voice: VoiceSettings,
    syllables: list[tuple[float, float, np.ndarray]],
    rng: np.random.Generator,
    n_samples: int,
    sample_rate: int,
) -> np.ndarray:
    """F0 in Hz per sample: declination, an accent per syllable, optional final rise."""
    t = np.arange(n_samples) / sample_rate
    duration = n_samples / sample_rate
    semitones = voice.f0_shift_semitones - 1.5 * t / duration
    for start, end, _ in syllables:
        centre, width = (start + end) / 2, (end - start) / 2
        accent = voice.f0_range_semitones * rng.uniform(-0.6, 1.0)
        semitones = semitones + accent * np.exp(-0.5 * ((t - centre) / width) ** 2)
    if voice.final_rise_semitones and syllables:
        last_start = syllables[-1][0]
        semitones = semitones + voice.final_rise_semitones * np.clip((t - last_start) / 0.3, 0.0, 1.0)
    return speaker.f0_hz * 2.0 ** (semitones / 12.0)


def _glottal_source(f0: np.ndarray, voice: VoiceSettings, rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Pulse train with per-period jitter and shimmer, tilt, and aspiration noise at the set HNR."""
    n = f0.shape[0]
    harmonic = np.zeros(n)
    position = 0
    while position < n:
        period = sample_rate / f0[position] * (1.0 + voice.jitter * rng.standard_normal())
        length = max(round(period), 8)
        amplitude = 1.0 + voice.shimmer * rng.standard_normal()
        end = min(position + length, n)
        harmonic[position:end] = amplitude * _rosenberg_pulse(length)[: end - position]
        position += length
    harmonic = np.diff(harmonic, prepend=0.0)  # radiation at the lips
    harmonic = signal.lfilter([1.0 - voice.tilt], [1.0, -voice.tilt], harmonic)
    noise = rng.standard_normal(n)
    noise *= np.sqrt(np.mean(harmonic**2) / np.mean(noise**2)) * 10 ** (-voice.hnr_db / 20)
    return harmonic + noise


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


def _formant_filter(source: np.ndarray, formants: np.ndarray, sample_rate: int) -> np.ndarray:
    """Cascade of second-order resonators, one per formant."""
    out = source
    for frequency, bandwidth in zip(formants, FORMANT_BANDWIDTHS, strict=True):
        radius = np.exp(-np.pi * bandwidth / sample_rate)
        theta = 2 * np.pi * frequency / sample_rate
        a = [1.0, -2 * radius * np.cos(theta), radius**2]
        out = signal.lfilter([sum(a)], a, out)
    return out


def _consonant_burst(length: int, rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """High-passed noise with a fast decay: a fricative or plosive release."""
    return signal.sosfilt(_burst_band(sample_rate), rng.standard_normal(length)) * np.hanning(length)


@lru_cache(maxsize=8)
def _burst_band(sample_rate: int) -> np.ndarray:
    return signal.butter(4, [2500, min(6500, sample_rate / 2 - 100)], btype="bandpass", fs=sample_rate, output="sos")


def _envelope(length: int) -> np.ndarray:
    """Smooth syllable amplitude envelope: 20 ms raised-cosine ramps."""
    ramp = min(320, length // 2)
    env = np.ones(length)
    window = 0.5 * (1 - np.cos(np.pi * np.arange(ramp) / ramp))
    env[:ramp] = window
    env[length - ramp :] = window[::-1]
    return env
