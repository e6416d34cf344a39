"""The cue vocabulary every extractor maps onto, the input checks they share, and the track cache."""

from __future__ import annotations

import numpy as np
import pytest
from bsbench_plugins.cues.librosa_cues import LibrosaCues

from bsbench.core.cache import cache_dir
from bsbench.core.errors import DataError
from bsbench.core.types import Clip
from bsbench.cues.cache import cached_tracks
from bsbench.interfaces.vocabulary import CUE_VOCABULARY, VOICED_ONLY_CUES, analysis_samples, frame_count


def clip(samples: np.ndarray, rate: int = 16_000, name: str = "c") -> Clip:
    return Clip(name, samples.astype(np.float32), rate, "neutral", "s", "test")


class CountingLibrosa(LibrosaCues):
    """The real librosa extractor, counting how often it actually runs."""

    def __init__(self) -> None:
        self.calls = 0

    def extract(self, clip):
        self.calls += 1
        return super().extract(clip)


def test_vocabulary_covers_the_issue_cues_with_units():
    expected = {
        "pitch_level", "pitch_variability", "pitch_contour", "loudness", "intensity_db", "jitter", "shimmer", "hnr",
        "shrillness", "alpha_ratio", "hammarberg_index", "spectral_flux", "speech_rate", "f1", "f2", "f3",
    }  # fmt: skip
    assert set(CUE_VOCABULARY) == expected
    voiced_only = {"pitch_level", "pitch_variability", "pitch_contour", "jitter", "shimmer", "hnr", "f1", "f2", "f3"}
    assert voiced_only == VOICED_ONLY_CUES
    assert all(definition.unit for definition in CUE_VOCABULARY.values())
    assert set(LibrosaCues.cues) <= expected


def test_analysis_samples_resample_and_refuse_what_cannot_be_measured():
    assert analysis_samples(clip(np.zeros(48_000), rate=48_000)).shape == (16_000,)
    assert frame_count(32_000) == 201
    broken = np.zeros(16_000)
    broken[100] = np.nan
    with pytest.raises(DataError, match="clip c: 1 samples are NaN or infinite"):
        analysis_samples(clip(broken))
    with pytest.raises(DataError, match="clip c: 10 ms is shorter than one 25 ms analysis frame"):
        analysis_samples(clip(np.zeros(160)))


def test_tracks_are_extracted_once_and_read_back_equal(small_corpus):
    extractor = CountingLibrosa()
    first = cached_tracks(extractor, small_corpus.clips[0])
    again = cached_tracks(extractor, small_corpus.clips[0])
    assert extractor.calls == 1
    assert set(again.tracks) == set(first.tracks) and again.voiced_only == first.voiced_only
    for cue in first.tracks:
        # the same dtype and values: a score computed on either is the same number
        assert again.tracks[cue].dtype == first.tracks[cue].dtype == np.float64
        np.testing.assert_array_equal(again.tracks[cue], first.tracks[cue])
    np.testing.assert_array_equal(again.voiced, first.voiced)
    assert again.units == first.units and again.seconds_per_frame == first.seconds_per_frame


def test_a_damaged_cache_entry_is_recomputed(small_corpus):
    extractor = CountingLibrosa()
    target = small_corpus.clips[1]
    cached_tracks(extractor, target)
    for path in (cache_dir() / "cues").rglob("*.npz"):
        path.write_bytes(b"not an archive")
    recomputed = cached_tracks(extractor, target)
    assert extractor.calls == 2 and recomputed.n_frames == frame_count(target.waveform.shape[0])
