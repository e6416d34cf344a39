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
"""

from __future__ import annotations

import librosa
import numpy as np
import torch
import torchaudio

from bsbench.cue_statistics import local_spread
from bsbench.types import Clip, CueTracks

SAMPLE_RATE = 16_000
HOP = SAMPLE_RATE // 100
FRAME = 1024
#: Loudness frame: 25 ms window in a 512-point FFT, as eGeMAPS.
LOUDNESS_WINDOW = 400
LOUDNESS_FFT = 512
F0_RANGE_HZ = (60.0, 600.0)
SLOPE_BAND_HZ = (500.0, 1500.0)

CUE_UNITS = {
    "pitch_level": "semitones re 27.5 Hz",
    "pitch_variability": "semitones (SD over 250 ms)",
    "loudness": "auditory loudness (a.u.)",
    "shrillness": "dB/kHz (spectral slope 500-1500 Hz)",
}


class LibrosaCues:
    name = "librosa"
    description = "Pitch (pYIN), pitch variability, loudness and spectral slope from librosa on a 10 ms grid."
    version = "0.2.0"
    cues = CUE_UNITS

    def extract(self, clip: Clip) -> CueTracks:
        samples = np.asarray(clip.waveform, dtype=np.float32)
        if clip.sample_rate != SAMPLE_RATE:
            samples = torchaudio.functional.resample(torch.from_numpy(samples), clip.sample_rate, SAMPLE_RATE).numpy()
        n_frames = 1 + samples.shape[0] // HOP
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
        tracks = {
            "pitch_level": pitch,
            "pitch_variability": local_spread(pitch),
            "loudness": _loudness(samples)[:n_frames],
            "shrillness": _band_slope(power, SLOPE_BAND_HZ)[:n_frames],
        }
        return CueTracks(
            clip_id=clip.clip_id,
            seconds_per_frame=HOP / SAMPLE_RATE,
            tracks=tracks,
            units=dict(CUE_UNITS),
            voiced=voiced,
            voiced_only=frozenset({"pitch_level", "pitch_variability"}),
            extractor=self.name,
        )


def _loudness(samples: np.ndarray) -> np.ndarray:
    spectrum = librosa.stft(samples, n_fft=LOUDNESS_FFT, hop_length=HOP, win_length=LOUDNESS_WINDOW)
    power = np.abs(spectrum) ** 2
    bands = librosa.feature.melspectrogram(S=power, sr=SAMPLE_RATE, n_fft=LOUDNESS_FFT, n_mels=26, fmax=8000.0)
    return np.sum(bands**0.33, axis=0)


def _band_slope(power: np.ndarray, band: tuple[float, float]) -> np.ndarray:
    """Least-squares slope of dB power against frequency (kHz) inside ``band``, per frame."""
    frequencies = librosa.fft_frequencies(sr=SAMPLE_RATE, n_fft=FRAME)
    inside = (frequencies >= band[0]) & (frequencies <= band[1])
    x = frequencies[inside] / 1000.0
    x = x - x.mean()
    log_power = 10.0 * np.log10(np.maximum(power[inside], 1e-12))
    return (x @ (log_power - log_power.mean(axis=0))) / (x @ x)
