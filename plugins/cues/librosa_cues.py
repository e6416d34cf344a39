"""Acoustic cues from librosa alone (pure Python, no binary toolkit).

All tracks lie on a 10 ms grid (frame i is centred at i * 10 ms) computed at 16 kHz,
so every extractor and the synthetic corpus's true tracks line up frame for frame.

- ``pitch_level``: F0 in semitones re 27.5 Hz (eGeMAPS convention), probabilistic YIN,
  voiced frames only. pYIN runs at 0.25-semitone resolution: four times cheaper than
  the default 0.1 and far finer than the differences between emotions.
- ``pitch_variability``: standard deviation of pitch_level over the voiced frames of a
  250 ms neighbourhood, in semitones (local intonation range).
- ``loudness``: sum over 26 mel bands of band power raised to 0.33 (Stevens' power
  law), the recipe of eGeMAPS's auditory-spectrum loudness, on eGeMAPS's 25 ms frames
  (64 ms frames smear syllable onsets: per-clip correlation with the synthetic corpus's
  true intensity envelope drops from 0.95 to 0.92); arbitrary units.
- ``shrillness``: slope of the regression line of the log power spectrum between 500
  and 1500 Hz, in dB per kHz (eGeMAPS ``slope500-1500``: flatter = more high energy).
- ``intensity_db``: mean square of the samples in a 25 ms window in dB re (2e-5)^2,
  Praat's convention of reading samples as pascals.
- ``alpha_ratio`` (energy 1-5 kHz over 50-1000 Hz) and ``hammarberg_index`` (strongest
  bin 0-2 kHz over strongest bin 2-5 kHz), in dB, on the 25 ms frames as eGeMAPS.
- ``spectral_flux``: L2 norm of the change of the magnitude spectrum between
  consecutive 25 ms frames (openSMILE's eGeMAPS definition, level-dependent as there).
"""

from __future__ import annotations

import librosa
import numpy as np

from bsbench.plugin import (
    ANALYSIS_RATE,
    HOP_SAMPLES,
    VOICED_ONLY_CUES,
    Clip,
    CueTracks,
    analysis_samples,
    cue_units,
    frame_count,
    local_spread,
)

SAMPLE_RATE = ANALYSIS_RATE
HOP = HOP_SAMPLES
FRAME = 1024
#: Loudness frame: 25 ms window in a 512-point FFT, as eGeMAPS.
LOUDNESS_WINDOW = 400
LOUDNESS_FFT = 512
F0_RANGE_HZ = (60.0, 600.0)
SLOPE_BAND_HZ = (500.0, 1500.0)
#: Praat reads samples as pascals; intensity is re the hearing threshold.
REFERENCE_PRESSURE = 2e-5

CUE_UNITS = cue_units(
    [
        "pitch_level",
        "pitch_variability",
        "loudness",
        "intensity_db",
        "shrillness",
        "alpha_ratio",
        "hammarberg_index",
        "spectral_flux",
    ]
)


class LibrosaCues:
    name = "librosa"
    description = "Pitch (pYIN), loudness, intensity and spectral balance cues from librosa on a 10 ms grid."
    version = "0.3.0"
    cues = CUE_UNITS

    def extract(self, clip: Clip) -> CueTracks:
        samples = analysis_samples(clip)
        n_frames = frame_count(samples.shape[0])
        # a clip shorter than one analysis frame is padded with silence; the tracks keep the clip's frames
        samples = np.pad(samples, (0, max(0, FRAME - samples.shape[0])))
        f0, voiced, _ = librosa.pyin(
            samples,
            fmin=F0_RANGE_HZ[0],
            fmax=F0_RANGE_HZ[1],
            sr=SAMPLE_RATE,
            frame_length=FRAME,
            hop_length=HOP,
            resolution=0.25,
        )
        voiced = np.asarray(voiced[:n_frames], dtype=bool) & np.isfinite(f0[:n_frames])
        pitch = np.full(n_frames, np.nan)
        pitch[voiced] = 12.0 * np.log2(f0[:n_frames][voiced] / 27.5)
        power = np.abs(librosa.stft(samples, n_fft=FRAME, hop_length=HOP)) ** 2
        short_power = _short_frame_power(samples)
        tracks = {
            "pitch_level": pitch,
            "pitch_variability": local_spread(pitch),
            "loudness": _loudness(short_power)[:n_frames],
            "intensity_db": _intensity_db(samples)[:n_frames],
            "shrillness": _band_slope(power, SLOPE_BAND_HZ)[:n_frames],
            "alpha_ratio": _band_ratio_db(short_power, (1000.0, 5000.0), (50.0, 1000.0), np.sum)[:n_frames],
            "hammarberg_index": _band_ratio_db(short_power, (0.0, 2000.0), (2000.0, 5000.0), np.max)[:n_frames],
            "spectral_flux": _spectral_flux(short_power)[:n_frames],
        }
        return CueTracks(
            clip_id=clip.clip_id,
            seconds_per_frame=HOP / SAMPLE_RATE,
            tracks=tracks,
            units=dict(CUE_UNITS),
            voiced=voiced,
            voiced_only=VOICED_ONLY_CUES & set(CUE_UNITS),
            extractor=self.name,
        )


def _short_frame_power(samples: np.ndarray) -> np.ndarray:
    """Power spectra of 25 ms Hann frames (eGeMAPS's spectral frame), 10 ms apart."""
    spectrum = librosa.stft(samples, n_fft=LOUDNESS_FFT, hop_length=HOP, win_length=LOUDNESS_WINDOW)
    return np.abs(spectrum) ** 2


def _loudness(power: np.ndarray) -> np.ndarray:
    bands = librosa.feature.melspectrogram(S=power, sr=SAMPLE_RATE, n_fft=LOUDNESS_FFT, n_mels=26, fmax=8000.0)
    return np.sum(bands**0.33, axis=0)


def _intensity_db(samples: np.ndarray) -> np.ndarray:
    frames = librosa.util.frame(np.pad(samples, LOUDNESS_WINDOW // 2), frame_length=LOUDNESS_WINDOW, hop_length=HOP)
    mean_square = np.mean(frames.astype(np.float64) ** 2, axis=0)
    return 10.0 * np.log10(np.maximum(mean_square, 1e-20) / REFERENCE_PRESSURE**2)


def _band_ratio_db(power: np.ndarray, upper: tuple[float, float], lower: tuple[float, float], combine) -> np.ndarray:
    """``combine`` (sum or max) of the power in ``upper`` over that in ``lower``, in dB, per frame."""
    frequencies = librosa.fft_frequencies(sr=SAMPLE_RATE, n_fft=LOUDNESS_FFT)

    def band(limits: tuple[float, float]) -> np.ndarray:
        inside = (frequencies >= limits[0]) & (frequencies < limits[1])
        return combine(power[inside], axis=0)

    return 10.0 * np.log10(np.maximum(band(upper), 1e-20) / np.maximum(band(lower), 1e-20))


def _spectral_flux(power: np.ndarray) -> np.ndarray:
    """L2 norm of the magnitude spectrum's change from the previous frame, unnormalised as openSMILE's.

    A sum-normalised variant correlated with eGeMAPS's ``spectralFlux_sma3`` at a median
    r of 0.41 over synthetic clips; this one at 0.90.
    """
    magnitude = np.sqrt(power)
    flux = np.sqrt(np.sum(np.diff(magnitude, axis=1) ** 2, axis=0))
    return np.concatenate([[0.0], flux])


def _band_slope(power: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """Least-squares slope of dB power against frequency (kHz) inside ``band``, per frame."""
    frequencies = librosa.fft_frequencies(sr=SAMPLE_RATE, n_fft=FRAME)
    inside = (frequencies >= band[0]) & (frequencies <= band[1])
    x = frequencies[inside] / 1000.0
    x = x - x.mean()
    log_power = 10.0 * np.log10(np.maximum(power[inside], 1e-12))
    return (x @ (log_power - log_power.mean(axis=0))) / (x @ x)
