"""Cue extraction cost per second of audio for every installed extractor, and what the track cache saves.

Usage: python benchmarks/speed/cue_extraction.py [--clips 28]
Measures on held-out clips of the default synthetic corpus (2 s each) in one run: each
extractor's first call (library warm-up: numba, Praat, openSMILE) is excluded, then the
clips are extracted into an empty cache (what the first run of a grid pays) and read back
from it (what every later method and run pays).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from bsbench.cues.cache import cached_tracks
from bsbench.grid.runner import select_clips
from bsbench.interfaces.protocols import DatasetRequest
from bsbench.registry.loader import load_registry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=28)
    args = parser.parse_args()
    registry = load_registry()
    corpus = registry.get("dataset", "synthetic").load(DatasetRequest(seed=0))
    clips = select_clips(corpus.split("test"), args.clips)
    audio_seconds = sum(clip.waveform.shape[0] / clip.sample_rate for clip in clips)
    print(f"{len(clips)} clips, {audio_seconds:.0f} s of audio")
    with tempfile.TemporaryDirectory() as cache:
        os.environ["BSBENCH_CACHE"] = cache
        for record in registry.records("cues"):
            extractor = registry.get("cues", record.name)
            extractor.extract(clips[0])  # warm-up, not measured
            started = time.perf_counter()
            for clip in clips:
                cached_tracks(extractor, clip)
            cold = time.perf_counter() - started
            started = time.perf_counter()
            for clip in clips:
                cached_tracks(extractor, clip)
            warm = time.perf_counter() - started
            print(
                f"{record.name:10s} extract {1000 * cold / audio_seconds:7.1f} ms per audio second   "
                f"cached {1000 * warm / audio_seconds:6.2f} ms per audio second   x{cold / warm:,.0f} faster"
            )


if __name__ == "__main__":
    main()
