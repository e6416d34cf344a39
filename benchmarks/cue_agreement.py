"""How well the cue extractors agree with each other and with the synthetic corpus's true tracks.

Usage: python benchmarks/cue_agreement.py [--clips 28] [--sentences 6]
For every pair of installed extractors and every cue both provide: Pearson r over the
frames where both define the cue (voiced frames in both for voiced-only cues), pooled
over clips and per clip (median). Two inputs: held-out clips of the default synthetic
corpus, and sentences spoken by espeak-ng (Debian package) in several voices, the
closest this machine gets to real speech. Loudness and intensity are compared as a
pair too, Spearman, since one is a power law of the other.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import subprocess
import tempfile
from pathlib import Path

from bsbench.audio.reading import read_audio
from bsbench.core.types import Clip
from bsbench.cues.accuracy import cue_agreement
from bsbench.grid.runner import select_clips
from bsbench.interfaces.protocols import DatasetRequest
from bsbench.interfaces.vocabulary import ANALYSIS_RATE
from bsbench.registry.loader import load_registry

SENTENCES = (
    "Kids are talking by the door.",
    "Dogs are sitting by the door.",
    "It is eleven o'clock.",
    "That is exactly what happened.",
    "I'm on my way to the meeting.",
    "I wonder what this is about.",
)
VOICES = ("en", "en+f3", "en-us+m3")


def espeak_clips(count: int, folder: Path) -> list[Clip]:
    clips = []
    for i, (sentence, voice) in enumerate(zip(SENTENCES[:count], itertools.cycle(VOICES), strict=False)):
        path = folder / f"espeak-{i}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), sentence], check=True)
        samples, _ = read_audio(path, ANALYSIS_RATE)
        clips.append(Clip(path.stem, samples, ANALYSIS_RATE, "neutral", voice, "test"))
    return clips


def report(name: str, clips: list[Clip], extractors: dict) -> None:
    tracks = {extractor: [plugin.extract(clip) for clip in clips] for extractor, plugin in extractors.items()}
    if clips[0].ground_truth is not None:
        tracks["truth"] = [clip.ground_truth.cue_tracks for clip in clips]
    print(f"\n{name}: {len(clips)} clips")
    for left, right in itertools.combinations(tracks, 2):
        shared = sorted(set(tracks[left][0].tracks) & set(tracks[right][0].tracks))
        pairs = [(cue, cue) for cue in shared]
        for loud, intense in (("loudness", "intensity_db"), ("intensity_db", "loudness")):
            if loud in tracks[left][0].tracks and intense in tracks[right][0].tracks and loud not in shared:
                pairs.append((loud, intense))
        for cue, other in pairs:
            pooled, median, frames = cue_agreement(tracks[left], tracks[right], cue, other)
            label = cue if cue == other else f"{cue}~{other} (Spearman)"
            print(
                f"  {left:8s} vs {right:8s} {label:34s} pooled r {pooled:6.3f}  median per clip {median:6.3f}  "
                f"frames {frames}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=28)
    parser.add_argument("--sentences", type=int, default=6)
    args = parser.parse_args()
    registry = load_registry()
    extractors = {record.name: registry.get("cues", record.name) for record in registry.records("cues")}
    corpus = registry.get("dataset", "synthetic").load(DatasetRequest(seed=0))
    report("synthetic corpus (held-out clips)", select_clips(corpus.split("test"), args.clips), extractors)
    if shutil.which("espeak-ng") and args.sentences:
        with tempfile.TemporaryDirectory() as folder:
            report("espeak-ng sentences", espeak_clips(args.sentences, Path(folder)), extractors)
    else:
        print("\nespeak-ng not installed: no speech comparison (apt-get install espeak-ng)")


if __name__ == "__main__":
    main()
