"""Synthetic corpus: generation speed (x real time, one core) and what the disk cache saves.

Usage: python benchmarks/speed/synthetic_generation.py
Generates the default corpus in both placements with the cache off, then loads it twice
through the cache (first load writes, second reads), all in one process so the ratios
hold on a noisy machine. Threads are pinned to one so "one core" means one core.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import tempfile
import time

from bsbench.interfaces.protocols import DatasetRequest
from bsbench.registry.loader import load_registry


def timed(load, options: dict[str, str]) -> tuple[float, float]:
    """(seconds, seconds of audio) for one load."""
    started = time.perf_counter()
    corpus = load(DatasetRequest(seed=0, options=options))
    seconds = time.perf_counter() - started
    return seconds, sum(clip.waveform.shape[0] / clip.sample_rate for clip in corpus.clips)


def main() -> None:
    dataset = load_registry().get("dataset", "synthetic")
    with tempfile.TemporaryDirectory() as cache:
        os.environ["BSBENCH_CACHE"] = cache
        for placement in ("whole", "localised"):
            options = {"placement": placement}
            generate, audio = timed(dataset.load, {**options, "cache": "false"})
            write, _ = timed(dataset.load, options)
            read, _ = timed(dataset.load, options)
            print(
                f"{placement:9s} {audio:6.0f} s of audio: generate {generate:5.2f} s "
                f"({audio / generate:4.0f}x real time), generate+write {write:5.2f} s, "
                f"cached read {read:5.2f} s (generate/read {generate / read:4.1f}x)"
            )


if __name__ == "__main__":
    main()
