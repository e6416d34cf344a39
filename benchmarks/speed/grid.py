"""The grid at scale, measured in one process: workers, incremental methods, cue extractions per run.

Usage: python benchmarks/speed/grid.py [--clips 28] [--device cpu]

1. Workers: a perturbation-heavy grid (occlusion at 1x10 / 1x5 and feature ablation,
   pixel flipping) with ``--workers 1`` and ``--workers 2`` into empty piece caches:
   throughput ratio, and the largest difference between the two runs' values.
2. Incremental: a 4-method grid into an empty piece cache, then the same grid with a
   fifth method: the second run's time as a share of the first, and the pieces each run
   computed; cue extractions per run equal the clip count, whatever the method count.
3. Overhead: the default grid (crp, gradcam, random; default metrics) computed afresh
   under cProfile: wall time against the time spent inside the methods, the metrics,
   cue extraction and the model's predictions; the rest is the framework's.

The model is trained once into a fresh cache on the default synthetic corpus before timing. Each
configuration runs once: these machines are noisy, so read the ratios of one run.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from bsbench.grid.run_config import RunConfig
from bsbench.grid.runner import run_benchmark
from bsbench.registry.loader import load_registry

HEAVY = ("occlusion:window=1x10,stride=1x5", "feature-ablation")
FOUR = ("crp", "gradcam", "saliency", "smoothgrad")


def timed(config: RunConfig) -> tuple[float, object]:
    started = time.perf_counter()
    result = run_benchmark(config, load_registry(), show_progress=False)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=28)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--fifth", default="input-x-gradient", help="The method added to the finished 4-method grid.")
    parser.add_argument("--skip-workers", action="store_true", help="Measure the incremental run only.")
    parser.add_argument("--workers-only", action="store_true", help="Measure the workers only.")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bsbench-grid-"))
    os.environ["BSBENCH_CACHE"] = str(root / "cache")  # no piece of an earlier run may be read back
    base = RunConfig(limit=args.clips, device=args.device, batch_size=4, metric_preset="quick")
    warm = replace(base, methods=("random",), metrics=("cue-salience",), out=root / "warm")
    run_benchmark(warm, load_registry(), show_progress=False)  # trains the model, caches the cue tracks

    if not args.skip_workers:
        compare_workers(base, root, args.clips)
    if args.workers_only:
        return
    compare_incremental(base, root, args.clips, args.fifth)
    framework_overhead(root, args.clips, args.device)


def framework_overhead(root: Path, clips: int, device: str) -> None:
    config = RunConfig(limit=clips, device=device, out=root / "default", use_cache=False)
    run_benchmark(replace(config, out=root / "default-warm"), load_registry(), show_progress=False)  # model, cues
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(run_benchmark, config, load_registry(), show_progress=False)
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    inside = {
        name: sum(row[3] for key, row in stats.stats.items() if key[0].endswith(path) and key[2] == function)
        for name, (path, function) in WORK.items()
    }
    work = sum(inside.values())
    print(f"overhead: default grid, {clips} clips, computed afresh: wall {wall:.1f} s, work {work:.1f} s")
    print("  " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in inside.items()))
    print(f"  wall / work = {wall / work:.2f} (the rest: corpus loading, registry, piece files, rows, leaderboard)")


#: The calls that do the benchmark's work: (file suffix, function) whose cumulative time counts as work.
WORK = {
    "methods": ("bsbench/grid/work.py", "_explain"),
    "metrics": ("bsbench/scoring/plans.py", "score_batch"),
    "cue extraction": ("bsbench/cues/cache.py", "cached_tracks"),
    "predictions": ("bsbench/grid/runner.py", "_predict"),
}


def compare_workers(base: RunConfig, root: Path, clips: int) -> None:
    """``--workers 2`` against ``--workers 1``, and against one process held to one torch thread.

    ``--workers 1`` runs in this process with torch's threads on every core, so on a
    2-core machine the pool can only win where torch leaves a core idle. The second
    comparison holds the single process to one thread, as each pool worker is: the
    pool's own scaling, free of torch's intra-op parallelism.
    """
    heavy = replace(base, methods=HEAVY, metrics=("pixel-flipping",), use_cache=False)
    one, serial = timed(replace(heavy, workers=1, out=root / "w1"))
    two, pooled = timed(replace(heavy, workers=2, out=root / "w2"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        single, _ = timed(replace(heavy, workers=1, out=root / "w1-one-thread"))
    finally:
        torch.set_num_threads(threads)
    difference = np.nanmax(np.abs(serial.rows["value"].to_numpy() - pooled.rows["value"].to_numpy()))
    print(f"workers: {os.cpu_count()} cores, {clips} clips, methods {', '.join(HEAVY)}")
    print(f"  --workers 1 ({threads} torch threads): {one:.1f} s   --workers 2: {two:.1f} s   x{one / two:.2f}")
    print(f"  --workers 1 held to 1 torch thread: {single:.1f} s   --workers 2 against it: x{single / two:.2f}")
    print(f"  largest |value difference| between the two runs: {difference:.2e}")


def compare_incremental(base: RunConfig, root: Path, clips: int, fifth: str) -> None:
    four = replace(base, methods=FOUR, out=root / "four")
    full, first = timed(four)
    added, second = timed(replace(four, methods=(*FOUR, fifth), out=root / "five"))
    alone, _ = timed(replace(four, methods=(fifth,), out=root / "alone", use_cache=False))
    print(
        f"incremental: 4 methods {full:.1f} s; adding {fifth}: {added:.1f} s ({added / full:.0%} of the 4-method run)"
    )
    print(f"  {fifth} alone, computed afresh: {alone:.1f} s; the added run's overhead over it: {added - alone:+.1f} s")
    print(f"  pieces, 4-method run: {first.manifest['pieces']}")
    print(f"  pieces, 5-method run: {second.manifest['pieces']}")
    extractions = first.manifest["pieces"]["computed"].get("cue tracks", 0) + first.manifest["pieces"]["cached"].get(
        "cue tracks", 0
    )
    print(f"  cue extractions looked up per run: {extractions} for {clips} clips and {len(FOUR)} methods")


if __name__ == "__main__":
    main()
