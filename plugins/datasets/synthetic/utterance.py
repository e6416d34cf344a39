"""One clip of the synthetic corpus: phrases placed in time, a noise floor, and the ground truth.

Placement decides where the class evidence lives:

- ``accented`` (the default): as in real speech, emotional prosody is carried unevenly,
  by two accented words and the phrase-final stretch (where terminal contours live),
  with neutral speech between them; the evidence moves in time from clip to clip.
- ``localised``: a neutral phrase, one emotional phrase filling the evidence segment,
  then a neutral phrase.
- ``whole``: the whole utterance is spoken with the emotional voice.

Phrases are rendered from independent random streams, so outside the emotional spans
the clip is sample for sample the clip a neutral voice would have given: the evidence
mask covers exactly what the emotion changed.

The constant recording noise floor keeps loudness visible in a max-referenced
spectrogram, as it is in real recordings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from bsbench_plugins.datasets.synthetic.voice import Phrase, Speaker, VoiceSettings, render_phrase

from bsbench.plugin import CueTracks, GroundTruth, local_spread

PLACEMENTS = ("accented", "localised", "whole")
NOISE_FLOOR_RMS = 1e-3
#: Ground-truth tracks lie on the 10 ms grid every cue extractor uses (frame i centred at i * 10 ms).
SECONDS_PER_FRAME = 0.01
#: Loudness is measured in 25 ms Hann windows, the usual speech analysis frame.
LOUDNESS_WINDOW_SECONDS = 0.025

TRUE_CUE_UNITS = {
    "pitch_level": "semitones re 27.5 Hz",
    "pitch_variability": "semitones (SD over 250 ms)",
    "pitch_contour": "semitones of terminal rise",
    "loudness": "intensity^0.3 of the clean voice (sone-like, a.u.)",
    "speech_rate": "syllables per second",
    "shrillness": "dB source energy 1-5 kHz vs 0.05-1 kHz, re neutral voice",
    "jitter": "% relative SD of glottal periods",
    "shimmer": "% relative SD of glottal pulse amplitudes",
    "hnr": "dB harmonics-to-noise at the source",
}
#: Cues defined only while the voice sounds (inside vowels).
VOICED_ONLY = frozenset({"pitch_level", "pitch_variability", "pitch_contour", "jitter", "shimmer", "hnr"})


@dataclass(frozen=True, eq=False)
class Utterance:
    waveform: np.ndarray
    ground_truth: GroundTruth


def synthesise_clip(
    clip_id: str,
    speaker: Speaker,
    neutral: VoiceSettings,
    emotional: VoiceSettings,
    carrying_cues: Sequence[str],
    segments: Sequence[tuple[float, float]],
    rng: np.random.Generator,
    sample_rate: int,
    duration: float,
    placement: str,
) -> Utterance:
    """Render one clip; ``segments`` (seconds, in order) hold the emotion, none spreads it over the whole clip."""
    n_samples = round(duration * sample_rate)
    spans = list(segments) or [(0.0, duration)]
    plan, cursor = [], 0.0
    for start, end in spans:
        if start > cursor:
            plan.append((neutral, (cursor, start)))
        plan.append((emotional, (start, end)))
        cursor = end
    if cursor < duration:
        plan.append((neutral, (cursor, duration)))
    streams = rng.spawn(len(plan) + 1)
    phrases = [
        render_phrase(speaker, settings, span, stream, sample_rate, n_samples)
        for (settings, span), stream in zip(plan, streams[:-1], strict=True)
    ]
    clean = np.sum([phrase.samples for phrase in phrases], axis=0)
    noisy = clean + streams[-1].normal(0.0, NOISE_FLOOR_RMS, n_samples)
    evidence = tuple((start, end, 0.0, sample_rate / 2) for start, end in spans) if carrying_cues else ()
    truth = GroundTruth(
        cue_tracks=true_cue_tracks(clip_id, phrases, clean, sample_rate),
        carrying_cues=tuple(carrying_cues),
        evidence=evidence,
        placement=placement,
    )
    return Utterance(np.clip(noisy, -1.0, 1.0).astype(np.float32), truth)


def true_cue_tracks(clip_id: str, phrases: Sequence[Phrase], clean: np.ndarray, sample_rate: int) -> CueTracks:
    """The cues as generated, on the 10 ms grid: the settings in force, the F0 contour, the clean voice's intensity."""
    n_samples = clean.shape[0]
    n_frames = int(n_samples / sample_rate / SECONDS_PER_FRAME) + 1
    times = np.arange(n_frames) * SECONDS_PER_FRAME
    samples = np.minimum(np.round(times * sample_rate).astype(int), n_samples - 1)
    tracks = {cue: np.full(n_frames, np.nan) for cue in TRUE_CUE_UNITS}
    voiced = np.zeros(n_frames, dtype=bool)
    for index, phrase in enumerate(phrases):
        last = index == len(phrases) - 1
        inside = (times >= phrase.span[0]) & ((times <= phrase.span[1]) if last else (times < phrase.span[1]))
        for syllable in phrase.syllables:
            voiced |= inside & (times >= syllable.vowel_start) & (times < syllable.end)
        settings = phrase.settings
        tracks["speech_rate"][inside] = phrase.syllables_per_second
        for cue in ("shrillness", "jitter", "shimmer", "hnr"):
            tracks[cue][inside] = getattr(settings, cue)
        tracks["pitch_level"][inside] = 12.0 * np.log2(phrase.f0_hz[samples[inside]] / 27.5)
        tracks["pitch_contour"][inside] = phrase.rise[samples[inside]]
    for cue in VOICED_ONLY - {"pitch_variability"}:
        tracks[cue][~voiced] = np.nan
    tracks["pitch_variability"] = local_spread(tracks["pitch_level"])
    tracks["loudness"] = _intensity(clean, samples, sample_rate) ** 0.3
    return CueTracks(
        clip_id=clip_id,
        seconds_per_frame=SECONDS_PER_FRAME,
        tracks=tracks,
        units=dict(TRUE_CUE_UNITS),
        voiced=voiced,
        voiced_only=VOICED_ONLY,
        extractor="ground-truth",
    )


def _intensity(clean: np.ndarray, centres: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mean square of the Hann-windowed signal around each centre sample."""
    window = np.hanning(round(LOUDNESS_WINDOW_SECONDS * sample_rate))
    half = window.shape[0] // 2
    padded = np.pad(clean, (half, window.shape[0] - half))
    frames = np.lib.stride_tricks.sliding_window_view(padded, window.shape[0])[centres]
    return (frames**2 @ window**2) / np.sum(window**2)
