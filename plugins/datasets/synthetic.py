"""The embedded default dataset: procedurally generated emotional speech.

Seven classes with the TESS label set. Each class shifts the speaker's neutral voice
in the directions voice research reports (Juslin & Laukka 2003; Scherer 2003; Murray &
Arnott 1993 for disgust and surprise), so a model can only separate them by the same
relative cues real SER models are expected to use. Generation is deterministic by
seed and takes a few seconds, so the benchmark runs on a fresh machine with nothing
downloaded. Speakers are split speaker-independently: test speakers are never heard
in training.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
from bsbench_plugins.datasets.speech_synthesis import Speaker, VoiceSettings, synthesise_utterance

from bsbench.errors import UsageError
from bsbench.parameters import build_parameters
from bsbench.protocols import DatasetRequest
from bsbench.types import Clip, Corpus

NEUTRAL = VoiceSettings()

#: Emotion -> changes from the neutral voice. Directions follow ../DOMAIN section 3.
EMOTION_VOICES: Mapping[str, VoiceSettings] = {
    "neutral": NEUTRAL,
    "angry": dataclasses.replace(
        NEUTRAL,
        f0_shift_semitones=4,
        f0_range_semitones=4,
        level_db=10,
        rate_scale=1.3,
        tilt=0.5,
        jitter=0.015,
        shimmer=0.08,
        hnr_db=16,
    ),
    "happy": dataclasses.replace(
        NEUTRAL,
        f0_shift_semitones=3,
        f0_range_semitones=7,
        level_db=3,
        rate_scale=1.25,
        tilt=0.85,
        jitter=0.003,
        shimmer=0.02,
        hnr_db=26,
    ),
    "fear": dataclasses.replace(
        NEUTRAL,
        f0_shift_semitones=8,
        f0_range_semitones=1.0,
        level_db=0,
        rate_scale=1.5,
        tilt=0.88,
        jitter=0.02,
        shimmer=0.06,
        hnr_db=10,
    ),
    "sad": dataclasses.replace(
        NEUTRAL,
        f0_shift_semitones=-3,
        f0_range_semitones=0.6,
        level_db=-10,
        rate_scale=0.65,
        tilt=0.97,
        jitter=0.012,
        shimmer=0.05,
        hnr_db=11,
    ),
    "disgust": dataclasses.replace(
        NEUTRAL,
        f0_shift_semitones=-3,
        f0_range_semitones=3,
        level_db=-3,
        rate_scale=0.75,
        tilt=0.8,
        jitter=0.03,
        shimmer=0.12,
        hnr_db=17,
    ),
    "surprise": dataclasses.replace(
        NEUTRAL,
        f0_shift_semitones=7,
        f0_range_semitones=4,
        final_rise_semitones=12,
        level_db=7,
        rate_scale=0.9,
        tilt=0.7,
    ),
}
LABELS = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprise")


@dataclasses.dataclass(frozen=True)
class SyntheticOptions:
    """Corpus size and split; every field can be set with ``--dataset-option key=value``."""

    speakers: int = 14
    clips_per_class: int = 4
    test_speakers: int = 2
    validation_speakers: int = 2
    duration: float = 2.0
    sample_rate: int = 16_000


class SyntheticDataset:
    name = "synthetic"
    description = "Procedural emotional speech (7 TESS classes, known cue shifts, no download)."
    version = "0.1.0"

    def load(self, request: DatasetRequest) -> Corpus:
        if request.data_dir is not None:
            raise UsageError("dataset synthetic generates its clips in memory: --data-dir is not used by it")
        options = build_parameters(SyntheticOptions, request.options, "dataset synthetic")
        if options.test_speakers + options.validation_speakers >= options.speakers:
            raise UsageError(
                f"synthetic dataset: speakers={options.speakers} leaves no training speaker after "
                f"{options.test_speakers} test and {options.validation_speakers} validation speakers"
            )
        rng = np.random.default_rng(request.seed)
        speakers = _make_speakers(options.speakers, rng)
        order = rng.permutation(options.speakers)
        split_of = {}
        for rank, index in enumerate(order):
            split = "test" if rank < options.test_speakers else "train"
            if options.test_speakers <= rank < options.test_speakers + options.validation_speakers:
                split = "validation"
            split_of[speakers[index].speaker_id] = split
        clips = []
        for speaker in speakers:
            for label in LABELS:
                for take in range(options.clips_per_class):
                    clip_id = f"{speaker.speaker_id}_{label}_{take:02d}"
                    clip_rng = np.random.default_rng([request.seed, *clip_id.encode()])
                    waveform = synthesise_utterance(
                        speaker, EMOTION_VOICES[label], clip_rng, options.sample_rate, options.duration
                    )
                    clips.append(
                        Clip(
                            clip_id=clip_id,
                            waveform=waveform,
                            sample_rate=options.sample_rate,
                            label=label,
                            speaker=speaker.speaker_id,
                            split=split_of[speaker.speaker_id],
                            metadata={"voice": dataclasses.asdict(EMOTION_VOICES[label])},
                        )
                    )
        return Corpus(
            name=self.name,
            labels=LABELS,
            clips=tuple(clips),
            split_policy=(
                f"speaker-independent: {options.test_speakers} test, {options.validation_speakers} "
                f"validation, {options.speakers - options.test_speakers - options.validation_speakers} "
                f"training speakers drawn with seed {request.seed}"
            ),
            parameters=dataclasses.asdict(options),
        )


def _make_speakers(count: int, rng: np.random.Generator) -> list[Speaker]:
    """Alternating lower and higher voices with their own vocal-tract length and tempo."""
    speakers = []
    for index in range(count):
        higher = index % 2 == 1
        speakers.append(
            Speaker(
                speaker_id=f"spk{index:02d}",
                f0_hz=float(rng.uniform(185, 235) if higher else rng.uniform(100, 135)),
                formant_scale=float(rng.uniform(1.08, 1.18) if higher else rng.uniform(0.9, 1.0)),
                syllables_per_second=float(rng.uniform(3.8, 4.6)),
            )
        )
    return speakers
