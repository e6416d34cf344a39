"""The ``synthetic`` dataset plugin: a corpus generated from an emotion table, with ground truth.

Seven classes with the TESS label set. Each class shifts a speaker's neutral voice by
the cells of the emotion table (``data/emotions.json``), which follow the directions
voice research reports, so a model can only separate the classes by the same relative
cues real SER models are expected to use: speakers differ in F0, vocal-tract length,
tempo and level. Every clip carries its ground truth (true cue tracks, the cues that
carry its class, where the evidence lies). Generation is deterministic by seed, cached
on disk, and speakers are split speaker-independently.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
from bsbench_plugins.datasets.synthetic.emotions import DEFAULT_TABLE, EmotionTable, load_emotion_table
from bsbench_plugins.datasets.synthetic.utterance import PLACEMENTS, synthesise_clip
from bsbench_plugins.datasets.synthetic.voice import Speaker

from bsbench.plugin import (
    Clip,
    Corpus,
    DatasetRequest,
    UsageError,
    build_parameters,
    cache_dir,
    content_key,
    load_saved_corpus,
    save_corpus,
)

#: Margin (s) kept between a localised segment and either end of the clip.
SEGMENT_MARGIN = 0.15


@dataclasses.dataclass(frozen=True)
class SyntheticOptions:
    """Corpus size, content and split; every field can be set with ``--dataset-option key=value``."""

    speakers: int = 14
    clips_per_class: int = 4
    test_speakers: int = 2
    validation_speakers: int = 2
    #: Seconds per clip.
    duration: float = 2.0
    sample_rate: int = 16_000
    #: Comma-separated classes to generate, or "all" for every class of the emotion table.
    classes: str = "all"
    #: accented: two accented words and the phrase end carry the emotion, neutral speech between;
    #: localised: one emotional segment, neutral speech around it; whole: the emotion spans the clip.
    placement: str = "accented"
    #: Seconds of emotional speech in localised placement.
    segment: float = 0.8
    #: An emotion table (JSON) to use instead of the built-in one.
    emotions: str = ""
    #: Keep the generated corpus on disk ($BSBENCH_CACHE/datasets) and reuse it.
    cache: bool = True


class SyntheticDataset:
    name = "synthetic"
    description = (
        "Procedural emotional speech with ground truth (7 TESS classes, known cues and evidence, no download)."
    )
    version = "0.4.0"

    def load(self, request: DatasetRequest) -> Corpus:
        if request.data_dir is not None:
            raise UsageError("dataset synthetic generates its clips: --data-dir is not used by it")
        options = build_parameters(SyntheticOptions, request.options, "dataset synthetic")
        _check(options)
        table = load_emotion_table(Path(options.emotions) if options.emotions else DEFAULT_TABLE, options.sample_rate)
        labels = _classes(options, table)
        key_inputs = {
            "version": self.version,
            "seed": request.seed,
            "options": _data_options(options),
            "table": table.text,
        }
        folder = cache_dir() / "datasets" / f"synthetic-{content_key(key_inputs)}"
        if options.cache:
            cached = load_saved_corpus(folder)
            if cached is not None:
                return cached
        corpus = self._generate(options, table, labels, request.seed)
        if options.cache:
            save_corpus(corpus, folder)
        return corpus

    def _generate(self, options: SyntheticOptions, table: EmotionTable, labels: tuple[str, ...], seed: int) -> Corpus:
        rng = np.random.default_rng(seed)
        speakers = make_speakers(options.speakers, rng)
        split_of = speaker_splits(speakers, options, rng)
        clips = []
        for speaker in speakers:
            for label in labels:
                voice, carrying = table.voice(label), table.carrying_cues(label)
                for take in range(options.clips_per_class):
                    clip_id = f"{speaker.speaker_id}_{label}_{take:02d}"
                    clip_rng = np.random.default_rng([seed, *clip_id.encode()])
                    utterance = synthesise_clip(
                        clip_id,
                        speaker,
                        table.neutral,
                        voice,
                        carrying,
                        emotional_spans(options, clip_rng),
                        clip_rng,
                        options.sample_rate,
                        options.duration,
                        options.placement,
                    )
                    clips.append(
                        Clip(
                            clip_id=clip_id,
                            waveform=utterance.waveform,
                            sample_rate=options.sample_rate,
                            label=label,
                            speaker=speaker.speaker_id,
                            split=split_of[speaker.speaker_id],
                            metadata={"voice": dataclasses.asdict(voice), "speaker": dataclasses.asdict(speaker)},
                            ground_truth=utterance.ground_truth,
                        )
                    )
        n_train = options.speakers - options.test_speakers - options.validation_speakers
        return Corpus(
            name=self.name,
            labels=labels,
            clips=tuple(clips),
            split_policy=(
                f"speaker-independent: {options.test_speakers} test, {options.validation_speakers} "
                f"validation, {n_train} training speakers drawn with seed {seed}"
            ),
            parameters={
                **_data_options(options),
                "emotion_table": f"{table.name} {table.version}",
                "emotion_table_hash": content_key({"text": table.text}),
            },
        )


#: Seconds of an accented word's emotional span, of the neutral gap before the phrase end, and of the
#: phrase-final span (where terminal contours sit), each drawn per clip from these ranges.
ACCENT_SECONDS = (0.3, 0.4)
GAP_SECONDS = (0.2, 0.3)
FINAL_SECONDS = (0.35, 0.45)
#: Accented words per clip before the phrase end.
ACCENTS = 2


def emotional_spans(options: SyntheticOptions, rng: np.random.Generator) -> list[tuple[float, float]]:
    """Where a clip's emotion lives, in seconds, for its placement (empty: the whole clip).

    ``accented``: ACCENTS word-length spans at random positions, then the phrase-final
    span ending just before the clip does, with neutral speech in every gap. A clip too
    short for the accents keeps the phrase-final span alone.
    """
    duration = options.duration
    if options.placement == "whole":
        return []
    if options.placement == "localised":
        start = rng.uniform(SEGMENT_MARGIN, duration - options.segment - SEGMENT_MARGIN)
        return [(float(start), float(start + options.segment))]
    final_end = duration - rng.uniform(0.05, 0.12)
    final_start = final_end - min(rng.uniform(*FINAL_SECONDS), 0.4 * duration)
    lengths = rng.uniform(*ACCENT_SECONDS, size=ACCENTS)
    gaps = rng.uniform(*GAP_SECONDS, size=ACCENTS)
    lead = rng.uniform(0.05, 0.15)
    slack = final_start - lead - lengths.sum() - gaps.sum()
    if slack < 0:
        return [(float(final_start), float(final_end))]
    # the slack is shared out at random before each accent and before the phrase end
    shares = rng.dirichlet(np.ones(ACCENTS + 1)) * slack
    spans, cursor = [], lead
    for length, gap, share in zip(lengths, gaps, shares[:-1], strict=True):
        start = cursor + share
        spans.append((float(start), float(start + length)))
        cursor = start + length + gap
    return [*spans, (float(final_start), float(final_end))]


def _data_options(options: SyntheticOptions) -> dict[str, object]:
    """The options that shape the clips: ``cache`` does not, so it keys neither the corpus nor a model."""
    return {key: value for key, value in dataclasses.asdict(options).items() if key != "cache"}


def _check(options: SyntheticOptions) -> None:
    """One line naming the option for every value the generator cannot honour."""

    def fail(option: str, problem: str) -> UsageError:
        return UsageError(f"dataset synthetic: option {option}={getattr(options, option)!r}: {problem}")

    if options.duration < 0.5:
        raise fail("duration", "must be at least 0.5 seconds")
    if options.sample_rate < 11_025:
        raise fail("sample_rate", "must be at least 11025 Hz (the voice reaches 5 kHz)")
    if options.clips_per_class < 1:
        raise fail("clips_per_class", "must be at least 1")
    if options.test_speakers < 1 or options.validation_speakers < 1:
        option = "test_speakers" if options.test_speakers < 1 else "validation_speakers"
        raise fail(option, "must be at least 1")
    if options.test_speakers + options.validation_speakers >= options.speakers:
        raise fail(
            "speakers",
            f"leaves no training speaker after {options.test_speakers} test and "
            f"{options.validation_speakers} validation speakers",
        )
    if options.placement not in PLACEMENTS:
        raise fail("placement", f"choose one of {', '.join(PLACEMENTS)}")
    if options.placement == "localised" and not 0.3 <= options.segment <= options.duration - 2 * SEGMENT_MARGIN:
        raise fail(
            "segment",
            f"must be between 0.3 and {options.duration - 2 * SEGMENT_MARGIN:g} seconds for a "
            f"{options.duration:g} s clip",
        )


def _classes(options: SyntheticOptions, table: EmotionTable) -> tuple[str, ...]:
    if options.classes.strip() == "all":
        return table.labels
    chosen = [name.strip() for name in options.classes.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in table.cells]
    if unknown:
        raise UsageError(
            f"dataset synthetic: option classes: unknown class {', '.join(map(repr, unknown))}; "
            f"known classes: {', '.join(table.labels)}"
        )
    if len(set(chosen)) < 2:
        raise UsageError(f"dataset synthetic: option classes={options.classes!r}: name at least two classes")
    return tuple(sorted(set(chosen)))


def make_speakers(count: int, rng: np.random.Generator) -> list[Speaker]:
    """Alternating lower and higher voices with their own vocal-tract length, tempo and level."""
    speakers = []
    for index in range(count):
        higher = index % 2 == 1
        speakers.append(
            Speaker(
                speaker_id=f"spk{index:02d}",
                f0_hz=float(rng.uniform(185, 235) if higher else rng.uniform(100, 135)),
                formant_scale=float(rng.uniform(1.08, 1.18) if higher else rng.uniform(0.9, 1.0)),
                syllables_per_second=float(rng.uniform(3.8, 4.6)),
                level_db=float(rng.uniform(-2.0, 2.0)),
            )
        )
    return speakers


def speaker_splits(speakers: list[Speaker], options: SyntheticOptions, rng: np.random.Generator) -> dict[str, str]:
    """Speaker -> split: whole speakers go to test, validation or train, never two of them.

    Lower and higher voices are drawn in turn, so a two-speaker test split holds one of
    each rather than, by the luck of the seed, two voices from one F0 range.
    """
    lower = [s for i, s in enumerate(speakers) if i % 2 == 0]
    higher = [s for i, s in enumerate(speakers) if i % 2 == 1]
    lower = [lower[i] for i in rng.permutation(len(lower))]
    higher = [higher[i] for i in rng.permutation(len(higher))]
    order = [speaker for pair in itertools.zip_longest(lower, higher) for speaker in pair if speaker is not None]
    split_of = {}
    for rank, speaker in enumerate(order):
        if rank < options.test_speakers:
            split = "test"
        elif rank < options.test_speakers + options.validation_speakers:
            split = "validation"
        else:
            split = "train"
        split_of[speaker.speaker_id] = split
    return split_of
