"""The log-mel front end against librosa, and the synthetic corpus's promises."""

from __future__ import annotations

import librosa
import numpy as np
import torch
from bsbench_plugins.cues.librosa_cues import LibrosaCues

from bsbench.audio.frontend import LogMelFrontEnd
from bsbench.core.types import Clip
from bsbench.interfaces.protocols import DatasetRequest
from tests.conftest import SMALL_CORPUS


def test_frontend_matches_reference_librosa_features(small_corpus):
    frontend = LogMelFrontEnd()
    samples = frontend.prepare(small_corpus.clips[0])
    ours = frontend(torch.from_numpy(samples)[None])[0, 0].numpy()
    mel = librosa.feature.melspectrogram(y=samples, sr=16000, n_fft=1024, win_length=480, hop_length=240, n_mels=128)
    reference = librosa.power_to_db(mel, ref=np.max)
    assert ours.shape == (128, 134) == reference.shape
    assert np.abs(ours - reference).max() < 0.01
    assert frontend.grid.seconds_per_frame == 0.015
    assert frontend.grid.shape == (128, 134)


def test_frontend_resamples_and_fixes_length():
    frontend = LogMelFrontEnd()
    tone = np.sin(2 * np.pi * 440 * np.arange(24_414 * 3) / 24_414).astype(np.float32)
    clip = Clip("tone", tone, 24_414, "neutral", "s", "test")
    prepared = frontend.prepare(clip)
    assert prepared.shape == (32_000,)
    spectrum = np.abs(np.fft.rfft(prepared))
    assert abs(np.argmax(spectrum) * 16_000 / 32_000 - 440) < 1.0
    short = Clip("short", tone[:1000], 24_414, "neutral", "s", "test")
    assert frontend.prepare(short)[-100:].tolist() == [0.0] * 100


def test_synthetic_is_deterministic_and_speaker_independent(registry, small_corpus):
    again = registry.get("dataset", "synthetic").load(DatasetRequest(seed=0, options=SMALL_CORPUS))
    assert all(np.array_equal(a.waveform, b.waveform) for a, b in zip(small_corpus.clips, again.clips, strict=True))
    other = registry.get("dataset", "synthetic").load(DatasetRequest(seed=1, options=SMALL_CORPUS))
    assert not np.array_equal(small_corpus.clips[0].waveform, other.clips[0].waveform)
    speakers_by_split = {
        split: {c.speaker for c in small_corpus.split(split)} for split in ("train", "validation", "test")
    }
    assert all(
        speakers_by_split[a].isdisjoint(speakers_by_split[b])
        for a, b in [("train", "test"), ("train", "validation"), ("validation", "test")]
    )
    assert len(small_corpus.clips) == 4 * 7 * 2
    assert len({c.clip_id for c in small_corpus.clips}) == len(small_corpus.clips)


def test_synthetic_classes_carry_their_cues(small_corpus):
    """Angry is higher and louder than neutral, sad lower and quieter, for the same speaker (measured by librosa)."""
    extractor = LibrosaCues()
    speaker = small_corpus.clips[0].speaker

    def mean_cue(label: str, cue: str) -> float:
        values = []
        for clip in small_corpus.clips:
            if clip.speaker == speaker and clip.label == label:
                tracks = extractor.extract(clip)
                values.append(np.mean(tracks.tracks[cue][tracks.valid_frames(cue)]))
        return float(np.mean(values))

    assert mean_cue("angry", "pitch_level") > mean_cue("neutral", "pitch_level") + 2
    assert mean_cue("sad", "pitch_level") < mean_cue("neutral", "pitch_level") - 1.5
    assert mean_cue("angry", "loudness") > mean_cue("neutral", "loudness")
    assert mean_cue("sad", "loudness") < mean_cue("neutral", "loudness")
