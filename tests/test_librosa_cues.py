"""The default extractor on the inputs that break audio code: none may crash or invent a value."""

from __future__ import annotations

import numpy as np
import pytest
from bsbench_plugins.cues.librosa_cues import LibrosaCues

from bsbench.core.errors import DataError
from bsbench.core.types import Clip
from bsbench.interfaces.vocabulary import frame_count

RATE = 16_000


def clip(samples: np.ndarray, name: str = "odd") -> Clip:
    return Clip(name, np.asarray(samples, dtype=np.float32), RATE, "neutral", "s", "test")


def vowel(seconds: float, f0: float = 160.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return 0.3 * sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 12))


@pytest.fixture(scope="module")
def extractor() -> LibrosaCues:
    return LibrosaCues()


def test_silence_is_unvoiced_and_finite(extractor):
    tracks = extractor.extract(clip(np.zeros(RATE)))
    assert not tracks.voiced.any()
    assert np.isnan(tracks.tracks["pitch_level"]).all() and np.isnan(tracks.tracks["pitch_variability"]).all()
    for cue in ("loudness", "intensity_db", "alpha_ratio", "spectral_flux"):
        assert np.isfinite(tracks.tracks[cue]).all(), cue


def test_white_noise_is_mostly_unvoiced(extractor):
    noise = np.random.default_rng(0).normal(0, 0.1, RATE)
    assert extractor.extract(clip(noise)).voiced.mean() < 0.2


def test_clipped_voice_keeps_its_pitch(extractor):
    clipped = np.clip(vowel(1.0) * 8, -1.0, 1.0)
    tracks = extractor.extract(clip(clipped))
    pitch = tracks.tracks["pitch_level"][tracks.voiced]
    assert tracks.voiced.mean() > 0.8
    assert abs(np.median(pitch) - 12 * np.log2(160 / 27.5)) < 0.5


@pytest.mark.parametrize("seconds", [0.05, 60.0])
def test_very_short_and_very_long_clips(extractor, seconds):
    samples = vowel(seconds)
    tracks = extractor.extract(clip(samples))
    assert tracks.n_frames == frame_count(samples.shape[0])
    assert all(track.shape == (tracks.n_frames,) for track in tracks.tracks.values())
    valid = tracks.valid_frames("pitch_level")
    assert not np.isnan(tracks.tracks["pitch_level"][valid]).any()


def test_nan_samples_are_refused_with_the_clip_named(extractor):
    samples = vowel(0.5)
    samples[100:110] = np.nan
    with pytest.raises(DataError, match="clip odd: 10 samples are NaN or infinite"):
        extractor.extract(clip(samples))
