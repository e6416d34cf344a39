"""Acoustic cues from openSMILE's eGeMAPSv02 low-level descriptors, on bsbench's 10 ms grid.

eGeMAPS is the standard parameter set of affective speech research, so a profile
measured with it can be compared with the literature; it is also an implementation
independent of librosa and Praat, which lets a benchmark tell an extractor's quirks
from a model's.

Alignment. openSMILE labels LLD row ``k`` with the span ``[start, end)`` of its 20 ms
spectral frame (``start = k * 10 ms``), but the 25 columns come from two framings that
start at the same sample: 20 ms Hamming frames (loudness, spectral balance, flux,
formants) and 60 ms Gaussian frames (F0, jitter, shimmer, HNR). ``_sma3`` is a centred
three-row moving average, so it moves nothing. The centre of row ``k`` is therefore
``start + 10 ms`` for the first group and ``start + 30 ms`` for the second: on the grid,
spectral row ``k`` is frame ``k + 1`` and voice row ``k`` is frame ``k + 3``. Measured
before placing: the voiced span of a harmonic tone burst is centred 30 ms after the row
starts, a step in F0 crosses halfway 28-35 ms after, a click or a step in noise level
peaks 9-14 ms after. After placing (tests/test_egemaps_cues.py) those events fall within
one frame of their true time, and the loudness track's cross-correlation with the
synthetic corpus's true loudness peaks at lag 0 on every clip.

Formants are not offered. eGeMAPS's F1-F3 LLDs agreed with Praat's frame by frame at
r = 0.16-0.37 on espeak-ng sentences and r < 0.1 on synthetic clips, at every lag from
-6 to +6 frames, while Praat's recovered known resonances within 26 Hz; a cue that
disagrees with the reference toolkit that much would decide plausibility scores by
noise. Use ``praat`` for formants.

Grid frames no row maps onto (frame 0 and the last
four or so for the spectral group, frames 0-2 and the last two for the voice group, all of
a clip shorter than the 60 ms pitch frame) are NaN: openSMILE did not analyse them.

Voicing. ``_nz`` descriptors are 0 where openSMILE found no F0; those become NaN, and the
voiced mask is "pitch_level defined". A true 0 cannot be told from "no value": a
perfectly periodic synthetic tone has jitter (and may have shimmer) NaN rather than 0.
Real voices never measure exactly 0.

Input. opensmile-python hands the binary int16 PCM made by ``(x * 32768).astype(int16)``,
so a sample of exactly +1.0 wraps round to -32768; samples are clipped to the int16 range
first, which is what a clipped recording means anyway.

Units: pitch in semitones re 27.5 Hz, loudness in eGeMAPS's auditory units (band powers
weighted by an equal-loudness curve before the 0.33 power: at equal RMS a 3 kHz tone reads
4.3 times a 150 Hz one, so fricatives weigh more than in LibrosaCues' unweighted sum), jitter
converted from a fraction to %, shimmer in dB, HNR, alpha ratio and Hammarberg index in dB,
formants in Hz, flux in openSMILE's units. Shrillness needs more than a unit conversion:
see :func:`_shrillness`.
"""

from __future__ import annotations

import warnings

import numpy as np
import opensmile
import pandas as pd

from bsbench.plugin import (
    ANALYSIS_RATE,
    HOP_SAMPLES,
    SECONDS_PER_FRAME,
    VOICED_ONLY_CUES,
    Clip,
    CueTracks,
    analysis_samples,
    cue_units,
    frame_count,
    local_spread,
)

#: Centre of an LLD row after its ``start``: half of eGeMAPS's 20 ms spectral frame ...
SPECTRAL_CENTRE_S = 0.010
#: ... and half of its 60 ms pitch frame.
VOICE_CENTRE_S = 0.030

#: cue -> (eGeMAPS column, centre offset of its analysis frame, scale to the vocabulary unit).
DESCRIPTORS: dict[str, tuple[str, float, float]] = {
    "pitch_level": ("F0semitoneFrom27.5Hz_sma3nz", VOICE_CENTRE_S, 1.0),
    "loudness": ("Loudness_sma3", SPECTRAL_CENTRE_S, 1.0),
    "jitter": ("jitterLocal_sma3nz", VOICE_CENTRE_S, 100.0),
    "shimmer": ("shimmerLocaldB_sma3nz", VOICE_CENTRE_S, 1.0),
    "hnr": ("HNRdBACF_sma3nz", VOICE_CENTRE_S, 1.0),
    "alpha_ratio": ("alphaRatio_sma3", SPECTRAL_CENTRE_S, 1.0),
    "hammarberg_index": ("hammarbergIndex_sma3", SPECTRAL_CENTRE_S, 1.0),
    "spectral_flux": ("spectralFlux_sma3", SPECTRAL_CENTRE_S, 1.0),
}
SLOPE_COLUMN = "slope500-1500_sma3"

CUE_UNITS = cue_units(
    [
        "pitch_level",
        "pitch_variability",
        "loudness",
        "jitter",
        "shimmer",
        "hnr",
        "shrillness",
        "alpha_ratio",
        "hammarberg_index",
        "spectral_flux",
    ]
)

#: opensmile-python's int16 conversion multiplies by this and truncates.
PCM_SCALE = 32768.0
#: eGeMAPS's spectral frame: 20 ms Hamming window, zero-padded to a 512-point FFT.
SPECTRAL_FRAME = 320
SPECTRAL_FFT = 512
#: FFT bins of openSMILE's 500-1500 Hz slope band (31.25 Hz apart at 16 kHz): 16 .. 48.
SLOPE_BINS = np.arange(16, 49)
#: openSMILE's floor for the log power spectrum: power <= (1e-7)^2 reads as -140 dB.
POWER_FLOOR = 1e-14
LOG_POWER_FLOOR_DB = -140.0


class EgemapsCues:
    name = "egemaps"
    description = "Pitch, loudness, voice quality and spectral balance cues from openSMILE eGeMAPSv02 LLDs."
    version = "0.1.0"
    cues = CUE_UNITS

    def __init__(self) -> None:
        self._smile: opensmile.Smile | None = None

    def _extractor(self) -> opensmile.Smile:
        """One ``Smile`` per extractor, made on first use: parsing the configuration costs more than a short clip."""
        if self._smile is None:
            self._smile = opensmile.Smile(
                feature_set=opensmile.FeatureSet.eGeMAPSv02,
                feature_level=opensmile.FeatureLevel.LowLevelDescriptors,
            )
        return self._smile

    def extract(self, clip: Clip) -> CueTracks:
        samples = analysis_samples(clip)
        n_frames = frame_count(samples.shape[0])
        pcm = np.clip(samples, -1.0, (PCM_SCALE - 1.0) / PCM_SCALE).astype(np.float32)
        with warnings.catch_warnings():
            # A clip shorter than the 60 ms pitch frame yields one NaN row and this warning;
            # the NaN row is handled below (every track NaN), so the warning says nothing new.
            warnings.filterwarnings("ignore", message="Segment too short", category=UserWarning)
            table = self._extractor().process_signal(pcm, ANALYSIS_RATE)
        starts = _row_starts(table, clip.clip_id)
        tracks: dict[str, np.ndarray] = {}
        for cue, (column, centre, scale) in DESCRIPTORS.items():
            values = table[column].to_numpy(dtype=np.float64) * scale
            if column.endswith("nz"):
                values[values == 0.0] = np.nan
            tracks[cue] = _on_grid(values, starts, centre, n_frames)
        voiced = np.isfinite(tracks["pitch_level"])
        voiced_only = VOICED_ONLY_CUES & set(CUE_UNITS)
        for cue in voiced_only & set(DESCRIPTORS):
            tracks[cue][~voiced] = np.nan
        tracks["pitch_variability"] = local_spread(tracks["pitch_level"])
        slope = _shrillness(table[SLOPE_COLUMN].to_numpy(dtype=np.float64), pcm)
        tracks["shrillness"] = _on_grid(slope, starts, SPECTRAL_CENTRE_S, n_frames)
        return CueTracks(
            clip_id=clip.clip_id,
            seconds_per_frame=SECONDS_PER_FRAME,
            tracks={cue: tracks[cue] for cue in CUE_UNITS},
            units=dict(CUE_UNITS),
            voiced=voiced,
            voiced_only=voiced_only,
            extractor=self.name,
        )


def _row_starts(table: pd.DataFrame, clip_id: str) -> np.ndarray:
    """Start of every LLD row in seconds, checked to lie on the 10 ms hop the alignment assumes."""
    starts = table.index.get_level_values("start").total_seconds().to_numpy(dtype=np.float64)
    off_grid = np.abs(starts / SECONDS_PER_FRAME - np.round(starts / SECONDS_PER_FRAME))
    if off_grid.size and off_grid.max() > 0.01:
        raise RuntimeError(
            f"clip {clip_id}: openSMILE rows start off the 10 ms hop (first at "
            f"{starts[np.argmax(off_grid)]:.4f} s); the eGeMAPS configuration changed and the alignment must be redone"
        )
    return starts


def _on_grid(values: np.ndarray, starts: np.ndarray, centre: float, n_frames: int) -> np.ndarray:
    """Place LLD rows on the 10 ms grid by the centre of their analysis frame; unreached frames stay NaN.

    Rows start on the hop and centres lie 10 or 30 ms later, so every row lands exactly on
    a grid frame: nothing is interpolated, and no value is smeared across a voicing edge.
    """
    track = np.full(n_frames, np.nan)
    index = np.round((starts + centre) / SECONDS_PER_FRAME).astype(np.int64)
    keep = (index >= 0) & (index < n_frames) & np.isfinite(values)
    track[index[keep]] = values[keep]
    return track


def _shrillness(raw_slope: np.ndarray, pcm: np.ndarray) -> np.ndarray:
    """eGeMAPS's ``slope500-1500`` per LLD row as the least-squares slope it intends, in dB/kHz.

    openSMILE 2.6 (``cSpectral``, ``oldSlopeScale = 0``) fits dB power against frequency
    in Hz over the 33 FFT bins of 500-1500 Hz but puts ``N = idxR - idxL = 32`` where the
    least-squares formula needs the 33 points it sums. Its value is then exactly
    ``b * (1 - K * mean_f) + K * mean_dB`` with ``b`` the true slope, ``mean_dB`` the band's
    mean log power and ``K = -sum_f / (32 * sum_f2 - sum_f ** 2)`` (about -5.5e-4 / Hz):
    it falls by 0.55 dB/kHz for every dB of gain, so no unit conversion makes it a slope.
    ``mean_dB`` is recomputed here from the very frames openSMILE analysed (the int16 PCM
    it read, 20 ms Hamming frames, 512-point FFT, its -140 dB floor; the replica reproduces
    its raw slope to 2e-4 dB/kHz), smoothed by the same ``sma3``, and the relation inverted.
    The result no longer depends on level (same value to 0.01 dB/kHz 20 dB apart) and
    reads noise with a straight-line spectrum of -20, -10 and 0 dB/kHz as -20.8, -10.7 and
    -0.6 (the 20 ms window's leakage); on the synthetic corpus it tracks LibrosaCues'
    64 ms slope with r 0.91 and a median offset of -1.1 dB/kHz.
    """
    frequencies = SLOPE_BINS * ANALYSIS_RATE / SPECTRAL_FFT
    n_used = SLOPE_BINS.shape[0] - 1
    sum_f = frequencies.sum()
    k = -sum_f / (n_used * np.sum(frequencies**2) - sum_f**2)
    if raw_slope.shape[0] == 0 or not np.all(np.isfinite(raw_slope)):
        return np.full(raw_slope.shape, np.nan)
    band = _band_mean_db(pcm, raw_slope.shape[0] + 1)
    if band.shape[0] < raw_slope.shape[0]:  # never seen: openSMILE emits fewer rows than frames exist
        band = np.concatenate([band, np.full(raw_slope.shape[0] - band.shape[0], np.nan)])
    band_level = _smooth3(band)[: raw_slope.shape[0]]
    slope_per_hz = (raw_slope - k * band_level) / (1.0 - k * frequencies.mean())
    return 1000.0 * slope_per_hz


def _band_mean_db(pcm: np.ndarray, n_rows: int) -> np.ndarray:
    """Mean dB power over the slope bins of openSMILE's first ``n_rows`` spectral frames (as many as exist)."""
    quantised = np.trunc(pcm.astype(np.float32) * np.float32(PCM_SCALE)).astype(np.float64) / PCM_SCALE
    available = (quantised.shape[0] - SPECTRAL_FRAME) // HOP_SAMPLES + 1
    frames = np.lib.stride_tricks.sliding_window_view(quantised, SPECTRAL_FRAME)[::HOP_SAMPLES]
    frames = frames[: min(n_rows, available)]
    window = 0.54 - 0.46 * np.cos(2.0 * np.pi * np.arange(SPECTRAL_FRAME) / (SPECTRAL_FRAME - 1))
    power = np.abs(np.fft.rfft(frames * window, n=SPECTRAL_FFT, axis=1)[:, SLOPE_BINS]) ** 2
    level = np.full(power.shape, LOG_POWER_FLOOR_DB)
    audible = power > POWER_FLOOR
    level[audible] = 10.0 * np.log10(power[audible])
    return level.mean(axis=1)


def _smooth3(values: np.ndarray) -> np.ndarray:
    """openSMILE's ``sma3``: centred 3-point mean, the first (and a missing last) neighbour repeated at the ends."""
    padded = np.concatenate([values[:1], values, values[-1:]])
    return (padded[:-2] + padded[1:-1] + padded[2:]) / 3.0
