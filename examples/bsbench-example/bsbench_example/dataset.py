"""``hum``: hummed vowels whose pitch and loudness follow the emotion; generated, so nothing to download."""

from __future__ import annotations

import numpy as np

from bsbench.plugin import Clip, Corpus, DatasetRequest, group_splits, hookimpl

RATE = 16_000
#: Emotion -> (pitch factor over the speaker's own, peak amplitude, spectral tilt: harmonic k has amplitude k^-tilt).
STYLES = {"angry": (1.5, 0.8, 0.6), "happy": (1.3, 0.5, 0.9), "neutral": (1.0, 0.3, 1.3), "sad": (0.8, 0.15, 2.0)}
SPEAKER_PITCH_HZ = (120.0, 135.0, 150.0, 165.0, 140.0, 155.0)


class HumDataset:
    name = "hum"
    description = "Hummed vowels: pitch, loudness and brightness rise with anger and joy, fall with sadness."
    version = "0.1.0"
    sample_rate = RATE

    def load(self, request: DatasetRequest) -> Corpus:
        rng = np.random.default_rng(request.seed)
        speakers = [f"s{i}" for i in range(len(SPEAKER_PITCH_HZ))]
        split_of = group_splits(speakers, request.seed, 1 / 6, 1 / 6, owner=f"dataset {self.name}", unit="speakers")
        times = np.arange(RATE) / RATE
        clips = []
        for speaker, base in zip(speakers, SPEAKER_PITCH_HZ, strict=True):
            for label, (factor, peak, tilt) in STYLES.items():
                for take in range(4):
                    f0 = base * factor * (1 + 0.03 * rng.standard_normal()) * (1 + 0.02 * np.sin(2 * np.pi * 3 * times))
                    phase = 2 * np.pi * np.cumsum(f0) / RATE
                    voice = sum(np.sin(k * phase) / k**tilt for k in range(1, 12)) * np.hanning(RATE)
                    noise = 0.01 * rng.standard_normal(RATE)
                    waveform = (peak * voice / np.abs(voice).max() + noise).clip(-1, 1).astype(np.float32)
                    clip_id = f"{speaker}-{label}-{take}"
                    clips.append(Clip(clip_id, waveform, RATE, label, speaker, split_of[speaker]))
        split_policy = "speaker-independent: 1 test, 1 validation, 4 training speakers"
        return Corpus(self.name, tuple(STYLES), tuple(clips), split_policy)


@hookimpl
def bsbench_register_datasets(register):
    register(HumDataset())
