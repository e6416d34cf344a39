"""The three extractors agree where voice science needs them to, on synthetic and on spoken sentences."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from bsbench_plugins.cues.egemaps_cues import EgemapsCues
from bsbench_plugins.cues.librosa_cues import LibrosaCues
from bsbench_plugins.cues.praat_cues import PraatCues

from bsbench.audio.reading import read_audio
from bsbench.core.types import Clip
from bsbench.cues.accuracy import cue_agreement
from bsbench.interfaces.vocabulary import ANALYSIS_RATE

SENTENCES = {"en": "Kids are talking by the door.", "en+f3": "I wonder what this is about, she said."}


@pytest.fixture(scope="module")
def tracks(small_corpus, tmp_path_factory):
    """Every extractor's tracks of 8 synthetic clips and, where espeak-ng is installed, two spoken sentences."""
    clips = list(small_corpus.split("test")[:8])
    if shutil.which("espeak-ng"):
        folder = tmp_path_factory.mktemp("espeak")
        for voice, sentence in SENTENCES.items():
            path = folder / f"{voice}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), sentence], check=True)
            samples, _ = read_audio(path, ANALYSIS_RATE)
            clips.append(Clip(f"espeak-{voice}", samples, ANALYSIS_RATE, "neutral", voice, "test"))
    extractors = {"librosa": LibrosaCues(), "praat": PraatCues(), "egemaps": EgemapsCues()}
    return {name: [extractor.extract(clip) for clip in clips] for name, extractor in extractors.items()}


@pytest.mark.parametrize(
    ("first", "second", "cue", "other", "minimum"),
    [
        ("librosa", "praat", "pitch_level", None, 0.95),
        ("egemaps", "praat", "pitch_level", None, 0.9),
        ("egemaps", "librosa", "loudness", None, 0.9),
        ("librosa", "praat", "loudness", "intensity_db", 0.9),
        ("egemaps", "librosa", "spectral_flux", None, 0.8),
        ("egemaps", "librosa", "alpha_ratio", None, 0.9),
    ],
)
def test_extractors_agree(tracks, first, second, cue, other, minimum):
    pooled, per_clip, frames = cue_agreement(tracks[first], tracks[second], cue, other)
    assert frames > 500
    assert pooled >= minimum and per_clip >= minimum, (pooled, per_clip)


def test_espeak_speech_is_part_of_the_comparison(tracks):
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng); synthetic clips only")
    spoken = [t for t in tracks["praat"] if t.clip_id.startswith("espeak-")]
    assert len(spoken) == 2 and all(t.voiced.mean() > 0.2 for t in spoken)
