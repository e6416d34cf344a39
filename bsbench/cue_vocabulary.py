"""One cue vocabulary for every extractor: names, units, and which cues exist only while voicing.

Extractors from different toolkits (librosa, Praat, openSMILE) rename their outputs
onto these names and convert them to these units, so a profile cell such as "anger:
pitch_level up" means the same thing whichever extractor measured it. All tracks lie on
one 10 ms grid: frame ``i`` is centred at ``i * 10 ms`` and a clip of ``n`` samples at
16 kHz has ``1 + n // 160`` frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bsbench.audio_io import resample
from bsbench.errors import DataError
from bsbench.types import Clip

SECONDS_PER_FRAME = 0.01
#: Every extractor analyses audio at this rate (resampling first), so grids and bands agree.
ANALYSIS_RATE = 16_000
HOP_SAMPLES = round(SECONDS_PER_FRAME * ANALYSIS_RATE)


@dataclass(frozen=True)
class CueDefinition:
    unit: str
    #: Undefined in unvoiced frames: statistics use voiced frames only.
    voiced_only: bool
    meaning: str


CUE_VOCABULARY: dict[str, CueDefinition] = {
    "pitch_level": CueDefinition("semitones re 27.5 Hz", True, "fundamental frequency (F0)"),
    "pitch_variability": CueDefinition(
        "semitones (SD over 250 ms)", True, "local intonation range: SD of pitch_level over voiced frames"
    ),
    "loudness": CueDefinition("auditory loudness (a.u.)", False, "sum of mel band powers ^ 0.33 (eGeMAPS)"),
    "intensity_db": CueDefinition("dB", False, "mean-square sound pressure in dB (Praat intensity)"),
    "jitter": CueDefinition("% (local period perturbation)", True, "mean absolute period difference / mean period"),
    "shimmer": CueDefinition("dB (local amplitude perturbation)", True, "mean absolute dB difference of periods"),
    "hnr": CueDefinition("dB", True, "harmonics-to-noise ratio; low = breathy or rough"),
    "shrillness": CueDefinition("dB/kHz (spectral slope 500-1500 Hz)", False, "flatter = more high-frequency energy"),
    "alpha_ratio": CueDefinition("dB", False, "energy 1-5 kHz over 50 Hz-1 kHz"),
    "hammarberg_index": CueDefinition("dB", False, "strongest peak 0-2 kHz over strongest peak 2-5 kHz"),
    "spectral_flux": CueDefinition("a.u.", False, "frame-to-frame change of the magnitude spectrum (L2)"),
    "speech_rate": CueDefinition("syllable nuclei per second", False, "local articulation rate"),
    "f1": CueDefinition("Hz", True, "first formant frequency"),
    "f2": CueDefinition("Hz", True, "second formant frequency"),
    "f3": CueDefinition("Hz", True, "third formant frequency"),
}

VOICED_ONLY_CUES = frozenset(name for name, cue in CUE_VOCABULARY.items() if cue.voiced_only)


def cue_units(names: tuple[str, ...] | list[str]) -> dict[str, str]:
    """``{name: unit}`` for an extractor's ``cues`` attribute; an unknown name is a programming error."""
    return {name: CUE_VOCABULARY[name].unit for name in names}


def frame_count(n_samples: int) -> int:
    """Frames of the 10 ms grid for ``n_samples`` at the analysis rate."""
    return 1 + n_samples // HOP_SAMPLES


def analysis_samples(clip: Clip) -> np.ndarray:
    """The clip as finite float32 mono at ``ANALYSIS_RATE``, or one clear error.

    NaN or infinite samples would turn every statistic of the clip into NaN, and a
    clip shorter than one 25 ms analysis frame has no frame to measure, so both are
    refused here, once, for every extractor; the runner records the clip as skipped.
    """
    samples = np.asarray(clip.waveform, dtype=np.float32)
    if samples.ndim != 1:
        raise DataError(f"clip {clip.clip_id}: cue extraction needs mono audio, got shape {samples.shape}")
    bad = int(np.count_nonzero(~np.isfinite(samples)))
    if bad:
        raise DataError(f"clip {clip.clip_id}: {bad} samples are NaN or infinite; cannot measure cues")
    if samples.shape[0] < 0.025 * clip.sample_rate:
        raise DataError(
            f"clip {clip.clip_id}: {1000 * samples.shape[0] / clip.sample_rate:.0f} ms is shorter than one "
            "25 ms analysis frame"
        )
    return resample(samples, clip.sample_rate, ANALYSIS_RATE)
