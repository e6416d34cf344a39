"""Reading a corpus: resampling side by side (torchaudio vs soxr) and whole-tree load times.

Usage: python benchmarks/speed/corpus_loading.py
Part 1 resamples one 2.5 s clip from each corpus's native rate to 16 kHz with both
libraries, in one process so the ratios hold on a noisy machine. Part 2 writes the
full-size generated trees the tests use (tiny files, real names) and times discovery,
dedupe and parsing for each corpus.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torchaudio

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bsbench.audio.reading import resample
from bsbench.grid.runner import load_corpus
from bsbench.registry.loader import load_registry
from tests.corpus_trees import make_crema_d, make_emodb, make_ravdess, make_savee, make_tess

NATIVE_RATES = {"tess": 24_414, "savee": 44_100, "ravdess": 48_000}


def best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    print("resampling one 2.5 s clip to 16 kHz (best of 3)")
    for corpus, rate in NATIVE_RATES.items():
        clip = np.random.default_rng(0).standard_normal(int(2.5 * rate)).astype(np.float32)
        tensor = torch.from_numpy(clip)
        with_torchaudio = best_of(3, lambda: torchaudio.functional.resample(tensor, rate, 16_000))  # noqa: B023
        with_soxr = best_of(3, lambda: resample(clip, rate, 16_000))  # noqa: B023
        print(
            f"  {corpus:8s} {rate:>6d} Hz: torchaudio {with_torchaudio * 1000:8.1f} ms, "
            f"soxr {with_soxr * 1000:6.2f} ms ({with_torchaudio / with_soxr:,.0f}x)"
        )
    registry = load_registry()
    makers = {
        "tess": make_tess,
        "crema-d": make_crema_d,
        "ravdess": make_ravdess,
        "savee": make_savee,
        "emodb": make_emodb,
    }
    print("loading the full-size generated trees (tiny files: discovery, dedupe, parsing, decoding)")
    with tempfile.TemporaryDirectory() as folder:
        for name, make in makers.items():
            tree = make(Path(folder) / name)
            started = time.perf_counter()
            corpus = load_corpus(registry.get("dataset", name), tree.root, 0, {})
            seconds = time.perf_counter() - started
            files = len(corpus.clips) + len(corpus.skipped)
            print(f"  {name:8s} {files:6d} files -> {len(corpus.clips):5d} clips in {seconds:5.1f} s")


if __name__ == "__main__":
    main()
